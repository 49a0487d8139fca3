package io.streamwatch.jobs.common;

import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.regex.Pattern;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.common.KafkaException;
import picocli.CommandLine.Option;

/** Where the visits topic is; a picocli mixin of the generator and the synchronizer, checked before Spark starts. */
public final class KafkaOptions {
    public static final String DEFAULT_BOOTSTRAP_SERVERS = "localhost:9092";
    private static final Pattern TOPIC = Pattern.compile("[a-zA-Z0-9._-]{1,249}");
    private static final int CHECK_SECONDS = 10;

    @Option(names = "--bootstrap-servers", paramLabel = "HOST:PORT[,...]", defaultValue = DEFAULT_BOOTSTRAP_SERVERS,
            description = "Kafka brokers (default: ${DEFAULT-VALUE}).")
    String bootstrapServers;

    @Option(names = "--topic", defaultValue = "visits", description = "Topic of the visits (default: ${DEFAULT-VALUE}).")
    String topic;

    public String bootstrapServers() {
        return bootstrapServers;
    }

    public String topic() {
        return topic;
    }

    /** Fails with one line unless the topic name is legal. */
    public void requireLegalTopic() {
        if (!TOPIC.matcher(topic).matches() || topic.equals(".") || topic.equals("..")) {
            throw new BadFlagValue("'" + topic + "' is not a Kafka topic name (1 to 249 of a-z A-Z 0-9 . _ -)");
        }
    }

    /** Fails with one line, within about {@value #CHECK_SECONDS} s, unless the brokers answer; returns the topics. */
    public Set<String> requireReachable() {
        requireLegalTopic();
        try (Admin admin = Admin.create(Map.of(
                AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
                AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, CHECK_SECONDS * 1000,
                AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, CHECK_SECONDS * 1000))) {
            return admin.listTopics().names().get(CHECK_SECONDS, TimeUnit.SECONDS);
        } catch (TimeoutException | ExecutionException e) {
            throw new JobFailure("cannot reach Kafka at " + bootstrapServers + " within " + CHECK_SECONDS + " s");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new JobFailure("interrupted while reaching Kafka at " + bootstrapServers);
        } catch (KafkaException e) {
            throw new JobFailure("cannot use Kafka at " + bootstrapServers + ": " + e.getMessage());
        }
    }
}
