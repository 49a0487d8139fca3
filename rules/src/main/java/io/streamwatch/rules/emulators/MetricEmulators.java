package io.streamwatch.rules.emulators;

import io.streamwatch.cli.KafkaBrokers;
import io.streamwatch.cli.BadFlagValue;
import io.streamwatch.cli.Cli;
import io.streamwatch.rules.KafkaTopics;
import java.io.PrintWriter;
import java.math.BigDecimal;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * The seed's metric source emulators: {@code constant}, {@code spikes} and {@code stairs} publish
 * {@code NAME: {"value": X}} records (key = the metric name, the value a JSON number) to the metrics topic every
 * PERIOD_SECONDS, forever or {@code --count} records.
 */
@Command(name = "MetricEmulators", mixinStandardHelpOptions = true,
        description = "Metric source emulators publishing {\"value\": X} records to the metrics topic.",
        subcommands = {MetricEmulators.Constant.class, MetricEmulators.Spikes.class, MetricEmulators.Stairs.class})
public final class MetricEmulators implements Callable<Integer> {
    /** The values one emulator publishes, by record number (0, 1, 2, ...). */
    interface Series {
        BigDecimal valueAt(long index);
    }

    public static void main(String[] args) {
        Cli.main(new MetricEmulators(), args);
    }

    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        throw new picocli.CommandLine.ParameterException(spec.commandLine(), "name an emulator: constant, spikes or stairs");
    }

    /** Where and how many: the options every emulator takes. */
    static final class Publishing {
        @Mixin
        KafkaBrokers brokers = new KafkaBrokers();

        @Option(names = "--topic", defaultValue = KafkaTopics.METRICS,
                description = "Metrics topic, created with 20 partitions when missing (default: ${DEFAULT-VALUE}).")
        String topic;

        @Option(names = "--count", paramLabel = "N", description = "Stop after N records (default: run until stopped).")
        Long count;

        @Option(names = "--quiet", description = "Do not print each record.")
        boolean quiet;

        @Spec(Spec.Target.MIXEE)
        picocli.CommandLine.Model.CommandSpec spec;

        int publish(String metricName, BigDecimal periodSeconds, Series series) {
            if (metricName.isEmpty()) {
                throw new BadFlagValue("NAME must not be empty");
            }
            if (periodSeconds.signum() < 0) {
                throw new BadFlagValue("PERIOD_SECONDS must not be negative, was " + periodSeconds.toPlainString());
            }
            if (count != null && count < 0) {
                throw new BadFlagValue("--count must not be negative, was " + count);
            }
            KafkaTopics.requireLegal("--topic", topic);
            KafkaTopics.ensureMetrics(brokers.bootstrapServers(), topic);
            long periodNanos = periodSeconds.multiply(BigDecimal.valueOf(1_000_000_000L)).longValue();
            PrintWriter out = spec.commandLine().getOut();
            KafkaProducer<String, String> producer = producer();
            // SIGTERM: what was sent is flushed before the JVM ends.
            Thread flushOnExit = new Thread(() -> producer.close(Duration.ofSeconds(5)), "streamwatch-sources-flush");
            Runtime.getRuntime().addShutdownHook(flushOnExit);
            boolean interrupted = false;
            try {
                long start = System.nanoTime();
                for (long index = 0; count == null || index < count; index++) {
                    long due = start + index * periodNanos;
                    long wait = due - System.nanoTime();
                    if (wait > 0) {
                        try {
                            TimeUnit.NANOSECONDS.sleep(wait);
                        } catch (InterruptedException e) {
                            // Stopped by its caller: what was sent is flushed and the producer closed before the
                            // interrupt is passed on (an interrupted close cannot join the producer's I/O thread).
                            interrupted = true;
                            break;
                        }
                    }
                    String value = "{\"value\": " + series.valueAt(index).toPlainString() + "}";
                    producer.send(new ProducerRecord<>(topic, metricName, value), (metadata, e) -> {
                        if (e != null) {
                            System.err.println("MetricEmulators: record not published: " + e.getMessage());
                        }
                    });
                    if (!quiet) {
                        out.println(metricName + ": " + value);
                    }
                }
                producer.flush();
            } finally {
                producer.close(Duration.ofSeconds(5));
                try {
                    Runtime.getRuntime().removeShutdownHook(flushOnExit);
                } catch (IllegalStateException e) {
                    // the JVM is already exiting
                }
                if (interrupted) {
                    Thread.currentThread().interrupt();
                }
            }
            return 0;
        }

        private KafkaProducer<String, String> producer() {
            Properties props = new Properties();
            props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, brokers.bootstrapServers());
            props.put(ProducerConfig.ACKS_CONFIG, "all");
            props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
            props.put(ProducerConfig.LINGER_MS_CONFIG, "0");
            props.put(ProducerConfig.CLIENT_ID_CONFIG, "streamwatch-sources");
            return new KafkaProducer<>(props, new StringSerializer(), new StringSerializer());
        }
    }

    @Command(name = "constant", mixinStandardHelpOptions = true, description = "VALUE every PERIOD_SECONDS.")
    static final class Constant implements Callable<Integer> {
        @Parameters(index = "0", paramLabel = "NAME") String name;
        @Parameters(index = "1", paramLabel = "VALUE") BigDecimal value;
        @Parameters(index = "2", paramLabel = "PERIOD_SECONDS") BigDecimal periodSeconds;
        @Mixin Publishing publishing;

        @Override
        public Integer call() {
            return publishing.publish(name, periodSeconds, index -> value);
        }
    }

    @Command(name = "spikes", mixinStandardHelpOptions = true,
            description = "SPIKE first and then every FREQUENCY-th record, LOW otherwise, every PERIOD_SECONDS.")
    static final class Spikes implements Callable<Integer> {
        @Parameters(index = "0", paramLabel = "NAME") String name;
        @Parameters(index = "1", paramLabel = "LOW") BigDecimal low;
        @Parameters(index = "2", paramLabel = "SPIKE") BigDecimal spike;
        @Parameters(index = "3", paramLabel = "PERIOD_SECONDS") BigDecimal periodSeconds;
        @Parameters(index = "4", paramLabel = "FREQUENCY") long frequency;
        @Mixin Publishing publishing;

        @Override
        public Integer call() {
            if (frequency < 1) {
                throw new BadFlagValue("FREQUENCY must be 1 or more, was " + frequency);
            }
            return publishing.publish(name, periodSeconds, index -> index % frequency == 0 ? spike : low);
        }
    }

    @Command(name = "stairs", mixinStandardHelpOptions = true,
            description = "START, START+STEP, ... up to END inclusive (END itself when STEP does not land on it), then START again; every PERIOD_SECONDS.")
    static final class Stairs implements Callable<Integer> {
        static final int MAX_STEPS = 1_000_000;
        @Parameters(index = "0", paramLabel = "NAME") String name;
        @Parameters(index = "1", paramLabel = "START") BigDecimal start;
        @Parameters(index = "2", paramLabel = "END") BigDecimal end;
        @Parameters(index = "3", paramLabel = "STEP") BigDecimal step;
        @Parameters(index = "4", paramLabel = "PERIOD_SECONDS") BigDecimal periodSeconds;
        @Mixin Publishing publishing;

        @Override
        public Integer call() {
            List<BigDecimal> steps = steps(start, end, step);
            return publishing.publish(name, periodSeconds, index -> steps.get((int) (index % steps.size())));
        }

        static List<BigDecimal> steps(BigDecimal start, BigDecimal end, BigDecimal step) {
            int direction = end.compareTo(start);
            if (direction != 0 && step.signum() != direction) {
                throw new BadFlagValue("STEP must be " + (direction > 0 ? "positive" : "negative") + " to go from "
                        + start.toPlainString() + " to " + end.toPlainString() + ", was " + step.toPlainString());
            }
            List<BigDecimal> steps = new ArrayList<>();
            BigDecimal value = start;
            while (direction == 0 ? steps.isEmpty() : value.compareTo(end) * direction <= 0) {
                if (steps.size() == MAX_STEPS) {
                    throw new BadFlagValue("more than " + MAX_STEPS + " steps from START to END; take a larger STEP");
                }
                steps.add(value);
                value = value.add(step);
            }
            if (steps.get(steps.size() - 1).compareTo(end) != 0) {
                steps.add(end);
            }
            return List.copyOf(steps);
        }
    }
}
