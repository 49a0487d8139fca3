package io.streamwatch.listeners;

import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ExecutionException;
import org.apache.spark.SparkConf;
import scala.Tuple2;

/**
 * How streamwatch's own Kafka clients (the live lag's end-offset reader, the offset committer, the metrics topic
 * bridge) reach the brokers: {@code spark.streamwatch.kafka.bootstrapServers} and every Kafka client property given
 * as {@code spark.streamwatch.kafka.<client property>} ({@code security.protocol}, {@code sasl.mechanism},
 * {@code sasl.jaas.config}, {@code ssl.truststore.location}, ...), so that a cluster with SASL or TLS is reached as
 * the job's own Kafka source reaches it.
 *
 * <p>The properties' values may be secrets: {@link #toString()} names the properties, never their values, and no
 * message of streamwatch's holds them.
 *
 * @param bootstrapServers the brokers, empty when not set
 * @param clientProperties the client properties passed through, by Kafka's names
 */
public record KafkaConnection(Optional<String> bootstrapServers, Map<String, String> clientProperties) {
    public static final String PREFIX = StreamwatchSettings.PREFIX + "kafka.";
    /** streamwatch's own keys under {@link #PREFIX}; every other key there is a Kafka client property. */
    static final Set<String> OWN_KEYS = Set.of("bootstrapServers", "commitGroup");
    private static final String ADMIN_CLASS = "org.apache.kafka.clients.admin.Admin";

    public static final KafkaConnection NONE = new KafkaConnection(Optional.empty(), Map.of());

    public KafkaConnection {
        clientProperties = Map.copyOf(clientProperties);
    }

    /** Brokers alone, without client properties. */
    public static KafkaConnection of(String bootstrapServers) {
        return new KafkaConnection(Optional.of(bootstrapServers), Map.of());
    }

    static KafkaConnection from(SparkConf conf) {
        Map<String, String> properties = new TreeMap<>();
        for (Tuple2<String, String> entry : conf.getAllWithPrefix(PREFIX)) {
            if (!OWN_KEYS.contains(entry._1()) && entry._2() != null && !entry._2().isBlank()) {
                properties.put(entry._1(), entry._2().trim());
            }
        }
        String servers = conf.get(PREFIX + "bootstrapServers", "").trim();
        if (servers.isEmpty()) {
            servers = properties.getOrDefault("bootstrap.servers", "");
        }
        properties.remove("bootstrap.servers");
        return new KafkaConnection(servers.isEmpty() ? Optional.empty() : Optional.of(servers), properties);
    }

    /** The same client properties, other brokers. */
    public KafkaConnection withBootstrapServers(String servers) {
        return new KafkaConnection(Optional.of(servers), clientProperties);
    }

    /**
     * The properties of a client of streamwatch's: {@code defaults} (timeouts, the client id), overridden by the
     * user's client properties, then the brokers, which the caller gives.
     */
    Properties clientConfig(String servers, Map<String, Object> defaults) {
        Properties properties = new Properties();
        properties.putAll(defaults);
        properties.putAll(clientProperties);
        properties.put("bootstrap.servers", servers);
        return properties;
    }

    /** Whether Kafka's client is on the classpath (Spark's Kafka connector brings it; Databricks shades its own). */
    static boolean clientAvailable() {
        try {
            Class.forName(ADMIN_CLASS, false, KafkaConnection.class.getClassLoader());
            return true;
        } catch (ClassNotFoundException | LinkageError e) {
            return false;
        }
    }

    /**
     * A failure of a client of streamwatch's, for a one-line warning: the class and first line of its cause (the
     * Admin API wraps it in an ExecutionException), no stack, nothing of the client's configuration.
     */
    static String describe(Throwable failure) {
        Throwable cause = failure instanceof ExecutionException && failure.getCause() != null
                ? failure.getCause() : failure;
        String message = cause.getMessage() == null ? "" : ": " + cause.getMessage().lines().findFirst().orElse("");
        return cause.getClass().getSimpleName() + message;
    }

    /** The brokers and the names of the client properties, never their values. */
    @Override
    public String toString() {
        return bootstrapServers.orElse("(no brokers)") + (clientProperties.isEmpty() ? "" : " with " + String.join(", ",
                new TreeMap<>(clientProperties).keySet()));
    }
}
