package io.streamwatch.jobs;

import io.streamwatch.listeners.PushgatewayPublisher;
import io.streamwatch.listeners.StreamwatchSettings;
import java.time.Duration;
import org.apache.spark.SparkConf;
import org.apache.spark.sql.SparkSession;
import picocli.CommandLine.Option;

/** Where and how long a job pushes its metrics; a picocli mixin shared by the jobs. */
public final class PushOptions {
    public static final String DEFAULT_ADDRESS = "localhost:9091";

    @Option(names = "--pushgateway", paramLabel = "HOST:PORT",
            description = "Pushgateway address (default: spark.streamwatch.pushgateway.address, else " + DEFAULT_ADDRESS + ").")
    String address;

    @Option(names = "--push-timeout", paramLabel = "DURATION", defaultValue = "10s",
            converter = DurationConverter.class,
            description = "How long the job waits at its end for the metrics to reach the Pushgateway; the job succeeds either way (default: ${DEFAULT-VALUE}).")
    Duration pushTimeout;

    public String address() {
        if (address != null) {
            return address;
        }
        SparkConf conf = new SparkConf();
        return conf.get(StreamwatchSettings.PUSHGATEWAY_ADDRESS, DEFAULT_ADDRESS);
    }

    public StreamwatchSettings settings(SparkSession spark) {
        return StreamwatchSettings.from(spark.sparkContext().getConf().clone()
                .set(StreamwatchSettings.PUSHGATEWAY_ADDRESS, address()));
    }

    public PushgatewayPublisher publisher() {
        return PushgatewayPublisher.shared(address());
    }

    /** Waits (bounded) for the metrics to be delivered; reports a delay but never fails the job. */
    public void flush(org.slf4j.Logger log) {
        if (!publisher().flush(pushTimeout)) {
            log.warn("metrics not delivered to the Pushgateway at {} within {}; they are sent if it comes back "
                    + "while this JVM runs", PushgatewayPublisher.redactedAddress(address()), pushTimeout.toMillis() + " ms");
        }
    }
}
