package io.streamwatch.jobs.common;

import io.streamwatch.cli.BadFlagValue;
import io.streamwatch.cli.DurationConverter;
import io.streamwatch.listeners.MetricNaming;
import io.streamwatch.listeners.PushTarget;
import io.streamwatch.listeners.PushgatewayPublisher;
import io.streamwatch.listeners.StreamwatchSettings;
import java.time.Duration;
import java.util.Optional;
import org.apache.spark.SparkConf;
import org.apache.spark.sql.SparkSession;
import org.slf4j.Logger;
import picocli.CommandLine.Option;

/**
 * Where and how long a job pushes its metrics; a picocli mixin shared by the jobs. The other settings
 * (credentials, job label, naming) come from {@code spark.streamwatch.*}, as for the listeners. A job pushes under
 * streamwatch's names unless {@code spark.streamwatch.metrics.naming} says otherwise; the visits jobs keep the
 * visits demos' names as their default ({@link #withDefaultNaming}).
 */
public final class PushOptions {
    public static final String DEFAULT_ADDRESS = "localhost:9091";

    @Option(names = "--pushgateway", paramLabel = "HOST:PORT",
            description = "Pushgateway address (default: spark.streamwatch.pushgateway.address, else " + DEFAULT_ADDRESS + "); "
                    + "credentials from spark.streamwatch.pushgateway.username/password(File) or bearerToken(File).")
    String address;

    @Option(names = "--push-timeout", paramLabel = "DURATION", defaultValue = "10s",
            converter = DurationConverter.class,
            description = "How long the job waits at its end for the metrics to reach the Pushgateway; the job succeeds either way (default: ${DEFAULT-VALUE}).")
    Duration pushTimeout;

    private StreamwatchSettings settings;
    private MetricNaming defaultNaming = MetricNaming.STREAMWATCH;

    /** For a job with names of its own to keep (the visits jobs): its naming unless the conf says otherwise. */
    public PushOptions withDefaultNaming(MetricNaming naming) {
        this.defaultNaming = naming;
        return this;
    }

    /** The settings of the job's listeners and pushes; a --pushgateway that is not an address is a bad flag. */
    public StreamwatchSettings settings(SparkSession spark) {
        if (settings == null) {
            settings = settingsOf(spark.sparkContext().getConf());
        }
        return settings;
    }

    /** Fails as a bad flag unless --pushgateway, when given, is an address (before anything starts). */
    public void requireValidAddress() {
        if (address != null) {
            try {
                PushTarget.parse(address);
            } catch (IllegalArgumentException e) {
                throw new BadFlagValue("--pushgateway: " + e.getMessage());
            }
        }
    }

    private StreamwatchSettings settingsOf(SparkConf sparkConf) {
        SparkConf conf = sparkConf.clone();
        if (address != null) {
            requireValidAddress();
            conf.set(StreamwatchSettings.PUSHGATEWAY_ADDRESS, address);
        } else if (!conf.contains(StreamwatchSettings.PUSHGATEWAY_ADDRESS)) {
            conf.set(StreamwatchSettings.PUSHGATEWAY_ADDRESS, DEFAULT_ADDRESS);
        }
        StreamwatchSettings parsed = StreamwatchSettings.from(conf);
        return conf.contains(StreamwatchSettings.METRICS_NAMING) ? parsed : parsed.withNaming(defaultNaming);
    }

    /** The job's publisher, or empty when the Pushgateway settings are not valid (warned about once). */
    public Optional<PushgatewayPublisher> publisher(SparkSession spark) {
        return settings(spark).pushgateway().map(PushgatewayPublisher::shared);
    }

    /** Waits (bounded) for the metrics to be delivered; reports a delay but never fails the job. */
    public void flush(SparkSession spark, Logger log) {
        publisher(spark).ifPresent(publisher -> {
            if (!publisher.flush(pushTimeout)) {
                log.warn("metrics not delivered to the Pushgateway at {} within {}; they are sent if it comes back "
                        + "while this JVM runs", publisher.address(), pushTimeout.toMillis() + " ms");
            }
        });
    }
}
