package io.streamwatch.listeners;

import java.time.Duration;
import java.util.Optional;
import org.apache.spark.SparkConf;
import org.apache.spark.SparkEnv;

/**
 * The {@code spark.streamwatch.*} settings, read from the Spark configuration so that the listeners can be
 * attached with {@code --conf} alone.
 *
 * @param pushgatewayAddress {@code spark.streamwatch.pushgateway.address}: host:port or URL; empty disables pushing
 * @param job {@code spark.streamwatch.job}: the Pushgateway job label, empty for each listener's default
 * @param flushTimeout {@code spark.streamwatch.pushgateway.flushTimeout}: how long the JVM's exit waits for the
 *     last values to reach the Pushgateway (default 10s)
 * @param heartbeatInterval {@code spark.streamwatch.heartbeat.interval}: how often the health listener pushes
 *     while nothing else happens (default 5s)
 */
public record StreamwatchSettings(Optional<String> pushgatewayAddress, Optional<String> job, Duration flushTimeout,
                                  Duration heartbeatInterval) {
    public static final String PREFIX = "spark.streamwatch.";
    public static final String PUSHGATEWAY_ADDRESS = PREFIX + "pushgateway.address";
    public static final String JOB = PREFIX + "job";
    public static final String FLUSH_TIMEOUT = PREFIX + "pushgateway.flushTimeout";
    public static final String HEARTBEAT_INTERVAL = PREFIX + "heartbeat.interval";
    private static final Duration DEFAULT_FLUSH_TIMEOUT = Duration.ofSeconds(10);
    private static final Duration DEFAULT_HEARTBEAT_INTERVAL = Duration.ofSeconds(5);

    public static StreamwatchSettings of(String pushgatewayAddress) {
        return new StreamwatchSettings(Optional.ofNullable(pushgatewayAddress), Optional.empty(), DEFAULT_FLUSH_TIMEOUT,
                DEFAULT_HEARTBEAT_INTERVAL);
    }

    public static StreamwatchSettings from(SparkConf conf) {
        return new StreamwatchSettings(
                nonBlank(conf.get(PUSHGATEWAY_ADDRESS, "")),
                nonBlank(conf.get(JOB, "")),
                Duration.ofMillis(conf.getTimeAsMs(FLUSH_TIMEOUT, DEFAULT_FLUSH_TIMEOUT.toMillis() + "ms")),
                Duration.ofMillis(conf.getTimeAsMs(HEARTBEAT_INTERVAL, DEFAULT_HEARTBEAT_INTERVAL.toMillis() + "ms")));
    }

    /** The settings of the running Spark application (for listeners created without arguments). */
    public static StreamwatchSettings fromSparkEnv() {
        SparkEnv env = SparkEnv.get();
        return env == null ? of(null) : from(env.conf());
    }

    public StreamwatchSettings withHeartbeatInterval(Duration interval) {
        return new StreamwatchSettings(pushgatewayAddress, job, flushTimeout, interval);
    }

    public String jobOr(String defaultJob) {
        return job.orElse(defaultJob);
    }

    private static Optional<String> nonBlank(String value) {
        return value == null || value.isBlank() ? Optional.empty() : Optional.of(value.trim());
    }
}
