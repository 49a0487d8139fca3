package io.streamwatch.listeners;

import java.io.IOException;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.SortedSet;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import org.apache.spark.SparkConf;
import org.apache.spark.SparkEnv;
import org.apache.spark.network.util.JavaUtils;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@code spark.streamwatch.*} settings, read from the Spark configuration so that the listeners can be
 * attached with {@code --conf} alone. Reading them never fails: a value that makes no sense gives one warning
 * naming its key (never the value of a secret) and the default, or, for the Pushgateway, no pushing; the
 * user's queries run either way.
 *
 * <p>Keys holding secrets end in {@code password}, {@code passwordFile}, {@code bearerToken} or
 * {@code bearerTokenFile}, so Spark's default {@code spark.redaction.regex} hides them in the UI and logs; of the Kafka
 * client properties ({@link KafkaConnection}), the passwords match it by name and a JAAS config with a password by
 * value (SECURITY.md names the ones it misses).
 *
 * <p>{@link #keys()} is the registry of every key, which the documentation is checked against.
 *
 * @param pushgateway where to push; empty disables pushing
 * @param job {@code spark.streamwatch.job}: the Pushgateway job label, empty for each listener's default
 * @param flushTimeout how long the JVM's exit waits for the last values to reach the Pushgateway
 * @param heartbeatInterval how often the health listener pushes while nothing else happens, and the Delta
 *     reader refreshes its lag while the query waits
 * @param naming the metric names: neutral ones, or the visits demos' names
 * @param metricsTopic where every pushed value is also sent as a metric record, for threshold rules (none: nowhere)
 * @param kafka {@code spark.streamwatch.kafka.bootstrapServers} and the Kafka client properties
 *     ({@code spark.streamwatch.kafka.<client property>}): the brokers of the queries' Kafka sources, from which the
 *     lag listener reads the topics' current end offsets and the committer commits
 * @param signals {@code spark.streamwatch.signals}: what {@link StreamwatchListener} turns on
 * @param bounds what each query is held to ({@code spark.streamwatch.sla}, {@code spark.streamwatch.query.<name>.sla}, ...)
 * @param scrapeEndpoint {@code spark.streamwatch.prometheus.port} (and {@code .host}): where the driver serves the same
 *     series at {@code /metrics}, for Prometheus to scrape; empty: not served
 */
public record StreamwatchSettings(Optional<PushTarget> pushgateway, Optional<String> job, Duration flushTimeout,
                                  Duration heartbeatInterval, MetricNaming naming, Optional<MetricsTopic> metricsTopic,
                                  KafkaConnection kafka, Set<Signal> signals, QueryBounds bounds,
                                  Optional<InetSocketAddress> scrapeEndpoint) {
    /**
     * A Kafka topic of metric records ({@code key = name, value = {"value": X}}), the alarms job's input, reached
     * with the Kafka client properties of {@code spark.streamwatch.kafka.*} (their values never printed).
     */
    public record MetricsTopic(String bootstrapServers, String topic, Map<String, String> clientProperties) {
        public MetricsTopic {
            clientProperties = Map.copyOf(clientProperties);
        }

        public MetricsTopic(String bootstrapServers, String topic) {
            this(bootstrapServers, topic, Map.of());
        }

        @Override
        public String toString() {
            return topic + " at " + bootstrapServers;
        }
    }

    public static final String PREFIX = "spark.streamwatch.";
    public static final String PUSHGATEWAY_ADDRESS = PREFIX + "pushgateway.address";
    public static final String USERNAME = PREFIX + "pushgateway.username";
    public static final String PASSWORD = PREFIX + "pushgateway.password";
    public static final String PASSWORD_FILE = PREFIX + "pushgateway.passwordFile";
    public static final String BEARER_TOKEN = PREFIX + "pushgateway.bearerToken";
    public static final String BEARER_TOKEN_FILE = PREFIX + "pushgateway.bearerTokenFile";
    public static final String JOB = PREFIX + "job";
    public static final String FLUSH_TIMEOUT = PREFIX + "pushgateway.flushTimeout";
    public static final String HEARTBEAT_INTERVAL = PREFIX + "heartbeat.interval";
    public static final String METRICS_NAMING = PREFIX + "metrics.naming";
    public static final String METRICS_TOPIC_SERVERS = PREFIX + "metricsTopic.bootstrapServers";
    public static final String METRICS_TOPIC = PREFIX + "metricsTopic.name";
    public static final String KAFKA_BOOTSTRAP_SERVERS = PREFIX + "kafka.bootstrapServers";
    /** {@code spark.streamwatch.kafka.<client property>}: any Kafka client property, for streamwatch's own clients. */
    public static final String KAFKA_CLIENT_PROPERTY = KafkaConnection.PREFIX + "<client property>";
    public static final String KAFKA_COMMIT_GROUP = PREFIX + "kafka.commitGroup";
    public static final String SIGNALS = PREFIX + "signals";
    public static final String STATUS_WINDOW = PREFIX + "status.window";
    public static final String STATUS_MIN_BATCHES = PREFIX + "status.minBatches";
    public static final String STATUS_STALL_AFTER = PREFIX + "status.stallAfter";
    public static final String PROMETHEUS_PORT = PREFIX + "prometheus.port";
    public static final String PROMETHEUS_HOST = PREFIX + "prometheus.host";
    public static final String SLA = PREFIX + "sla";
    public static final String FIRST_BATCH = PREFIX + "firstBatch";
    public static final String MAX_LAG = PREFIX + "maxLag";
    public static final String QUERY_SLA = QueryBounds.QUERY_PREFIX + "<query name>.sla";
    public static final String QUERY_FIRST_BATCH = QueryBounds.QUERY_PREFIX + "<query name>.firstBatch";
    public static final String QUERY_MAX_LAG = QueryBounds.QUERY_PREFIX + "<query name>.maxLag";
    static final String DEFAULT_METRICS_TOPIC = "metrics";
    static final Duration DEFAULT_FLUSH_TIMEOUT = Duration.ofSeconds(10);
    static final Duration DEFAULT_HEARTBEAT_INTERVAL = Duration.ofSeconds(5);
    private static final Logger LOG = LoggerFactory.getLogger(StreamwatchSettings.class);
    /** Each bad setting is reported once per JVM, however many listeners read it. */
    private static final Set<String> REPORTED = ConcurrentHashMap.newKeySet();

    /** Every {@code spark.streamwatch.*} key the listeners read: the registry the documentation is checked against. */
    public static SortedSet<String> keys() {
        SortedSet<String> keys = new TreeSet<>();
        for (Field field : StreamwatchSettings.class.getFields()) {
            if (Modifier.isStatic(field.getModifiers()) && field.getType() == String.class) {
                try {
                    String key = (String) field.get(null);
                    if (key.startsWith(PREFIX) && !key.equals(PREFIX)) {
                        keys.add(key);
                    }
                } catch (IllegalAccessException e) {
                    throw new IllegalStateException(e);
                }
            }
        }
        return keys;
    }

    /** Pushing to {@code pushgatewayAddress} (null: nowhere) with every other setting at its default. */
    public static StreamwatchSettings of(String pushgatewayAddress) {
        return new StreamwatchSettings(Optional.ofNullable(pushgatewayAddress).map(PushTarget::parse), Optional.empty(),
                DEFAULT_FLUSH_TIMEOUT, DEFAULT_HEARTBEAT_INTERVAL, MetricNaming.STREAMWATCH, Optional.empty(), KafkaConnection.NONE,
                Signal.ALL, QueryBounds.NONE, Optional.empty());
    }

    public static StreamwatchSettings from(SparkConf conf) {
        return new StreamwatchSettings(
                pushTarget(conf),
                text(conf, JOB),
                positiveDuration(conf, FLUSH_TIMEOUT, DEFAULT_FLUSH_TIMEOUT),
                positiveDuration(conf, HEARTBEAT_INTERVAL, DEFAULT_HEARTBEAT_INTERVAL),
                parsed(conf, METRICS_NAMING, MetricNaming::parse, MetricNaming.STREAMWATCH),
                metricsTopic(conf),
                KafkaConnection.from(conf),
                parsed(conf, SIGNALS, Signal::parse, Signal.ALL),
                bounds(conf),
                scrapeEndpoint(conf));
    }

    private static Optional<InetSocketAddress> scrapeEndpoint(SparkConf conf) {
        Optional<String> port = text(conf, PROMETHEUS_PORT);
        if (port.isEmpty()) {
            return Optional.empty();
        }
        String host = text(conf, PROMETHEUS_HOST).orElse("0.0.0.0");
        try {
            int number = Integer.parseInt(port.get());
            if (number < 0 || number > 65_535) {
                throw new NumberFormatException();
            }
            return Optional.of(new InetSocketAddress(host, number));
        } catch (NumberFormatException e) {
            warnOnce(PROMETHEUS_PORT, PROMETHEUS_PORT + "='" + port.get() + "' is not a port (0 to 65535); the driver serves no /metrics");
            return Optional.empty();
        } catch (IllegalArgumentException | SecurityException e) {
            warnOnce(PROMETHEUS_HOST, PROMETHEUS_HOST + "='" + host + "' is not a host to listen on; the driver serves no /metrics");
            return Optional.empty();
        }
    }

    private static QueryBounds bounds(SparkConf conf) {
        Map<String, String> settings = new HashMap<>();
        for (scala.Tuple2<String, String> entry : conf.getAllWithPrefix(PREFIX)) {
            settings.put(PREFIX + entry._1(), entry._2());
        }
        return QueryBounds.from(settings, (key, why) -> warnOnce(key, key + "='" + settings.get(key) + "' is " + why + "; ignored"));
    }

    /** The settings of the running Spark application (for listeners created without arguments). */
    public static StreamwatchSettings fromSparkEnv() {
        SparkEnv env = SparkEnv.get();
        return env == null ? of(null) : from(env.conf());
    }

    public StreamwatchSettings withHeartbeatInterval(Duration interval) {
        return new StreamwatchSettings(pushgateway, job, flushTimeout, interval, naming, metricsTopic, kafka, signals, bounds, scrapeEndpoint);
    }

    public StreamwatchSettings withBounds(QueryBounds queryBounds) {
        return new StreamwatchSettings(pushgateway, job, flushTimeout, heartbeatInterval, naming, metricsTopic, kafka, signals, queryBounds, scrapeEndpoint);
    }

    /** Also serve the series at {@code /metrics} on this address (port 0: any free one). */
    public StreamwatchSettings withScrapeEndpoint(InetSocketAddress address) {
        return new StreamwatchSettings(pushgateway, job, flushTimeout, heartbeatInterval, naming, metricsTopic, kafka, signals, bounds,
                Optional.of(address));
    }

    public StreamwatchSettings withNaming(MetricNaming metricNaming) {
        return new StreamwatchSettings(pushgateway, job, flushTimeout, heartbeatInterval, metricNaming, metricsTopic, kafka, signals, bounds, scrapeEndpoint);
    }

    public StreamwatchSettings withMetricsTopic(MetricsTopic topic) {
        return new StreamwatchSettings(pushgateway, job, flushTimeout, heartbeatInterval, naming, Optional.of(topic), kafka, signals, bounds, scrapeEndpoint);
    }

    /** The job's own brokers, unless {@code spark.streamwatch.kafka.bootstrapServers} names others. */
    public StreamwatchSettings withKafkaBootstrapServersUnlessSet(String servers) {
        return kafka.bootstrapServers().isPresent() ? this : withKafkaBootstrapServers(servers);
    }

    public StreamwatchSettings withKafkaBootstrapServers(String servers) {
        return withKafka(kafka.withBootstrapServers(servers));
    }

    public StreamwatchSettings withKafka(KafkaConnection connection) {
        return new StreamwatchSettings(pushgateway, job, flushTimeout, heartbeatInterval, naming, metricsTopic, connection, signals, bounds, scrapeEndpoint);
    }

    /** {@code spark.streamwatch.kafka.bootstrapServers}, if set. */
    public Optional<String> kafkaBootstrapServers() {
        return kafka.bootstrapServers();
    }

    public String jobOr(String defaultJob) {
        return job.orElse(defaultJob);
    }

    private static Optional<PushTarget> pushTarget(SparkConf conf) {
        Optional<String> address = text(conf, PUSHGATEWAY_ADDRESS);
        if (address.isEmpty()) {
            return Optional.empty();
        }
        try {
            PushTarget.Credentials credentials = new PushTarget.Credentials(text(conf, USERNAME),
                    secret(conf, PASSWORD, PASSWORD_FILE), secret(conf, BEARER_TOKEN, BEARER_TOKEN_FILE));
            return Optional.of(PushTarget.parse(address.get(), credentials));
        } catch (IllegalArgumentException e) {
            warnOnce(PUSHGATEWAY_ADDRESS, PUSHGATEWAY_ADDRESS + ": " + e.getMessage() + "; streamwatch pushes nothing");
            return Optional.empty();
        }
    }

    private static Optional<MetricsTopic> metricsTopic(SparkConf conf) {
        Optional<String> servers = text(conf, METRICS_TOPIC_SERVERS);
        String topic = text(conf, METRICS_TOPIC).orElse(DEFAULT_METRICS_TOPIC);
        if (servers.isEmpty()) {
            return Optional.empty();
        }
        if (!topic.matches("[a-zA-Z0-9._-]{1,249}")) {
            warnOnce(METRICS_TOPIC, METRICS_TOPIC + ": '" + topic + "' is not a Kafka topic name; nothing is sent to a metrics topic");
            return Optional.empty();
        }
        return Optional.of(new MetricsTopic(servers.get(), topic, KafkaConnection.from(conf).clientProperties()));
    }

    /** A secret given inline or as a file (whose content, trimmed, is the secret). */
    private static Optional<String> secret(SparkConf conf, String key, String fileKey) {
        Optional<String> inline = text(conf, key);
        Optional<String> file = text(conf, fileKey);
        if (inline.isPresent() && file.isPresent()) {
            throw new IllegalArgumentException("both " + key + " and " + fileKey + " are set");
        }
        if (file.isEmpty()) {
            return inline;
        }
        try {
            return Optional.of(Files.readString(Path.of(file.get()), StandardCharsets.UTF_8).trim());
        } catch (IOException | RuntimeException e) {
            throw new IllegalArgumentException("cannot read " + fileKey + " (" + e.getClass().getSimpleName() + ")");
        }
    }

    private static Optional<String> text(SparkConf conf, String key) {
        String value = conf.get(key, "");
        return value == null || value.isBlank() ? Optional.empty() : Optional.of(value.trim());
    }

    static Duration positiveDuration(SparkConf conf, String key, Duration defaultValue) {
        return parsed(conf, key, text -> {
            Duration duration = Duration.ofMillis(JavaUtils.timeStringAsMs(text));
            if (duration.isZero() || duration.isNegative()) {
                throw new IllegalArgumentException("must be positive");
            }
            return duration;
        }, defaultValue);
    }

    private static <T> T parsed(SparkConf conf, String key, Function<String, T> parser, T defaultValue) {
        Optional<String> value = text(conf, key);
        if (value.isEmpty()) {
            return defaultValue;
        }
        try {
            return parser.apply(value.get());
        } catch (RuntimeException e) {
            warnOnce(key, key + "='" + value.get() + "' is not valid (" + firstLine(e.getMessage()) + "); using " + describe(defaultValue));
            return defaultValue;
        }
    }

    private static String describe(Object defaultValue) {
        if (defaultValue == Signal.ALL) {
            return "all";
        }
        return defaultValue instanceof Duration d ? d.toMillis() + "ms" : String.valueOf(defaultValue).toLowerCase(Locale.ROOT);
    }

    private static String firstLine(String text) {
        return text == null ? "unparsable" : text.lines().findFirst().orElse(text);
    }

    private static void warnOnce(String key, String message) {
        if (REPORTED.add(key + "\n" + message)) {
            LOG.warn(message);
        }
    }
}
