package io.streamwatch.jobs.sla;

import io.streamwatch.cli.BadFlagValue;
import io.streamwatch.jobs.common.GracefulStop;
import io.streamwatch.cli.CommandFailure;
import io.streamwatch.jobs.common.Jobs;
import io.streamwatch.jobs.visits.VisitsTopic;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * The visits generator: produces visits as JSON to Kafka (the nested visits schema), at a rate, a count
 * of them or continuously, with a share of visits missing their optional fields and, with
 * {@code --malformed-ratio}, records that are not valid visits, spread evenly (exactly floor(count x ratio)).
 */
@Command(name = "GenerateVisits", mixinStandardHelpOptions = true, description = "Produces visits as JSON to a Kafka topic.")
public final class GenerateVisits implements Callable<Integer> {
    @Mixin
    VisitsTopic kafka = new VisitsTopic();

    @Option(names = "--partitions", defaultValue = "2", description = "Partitions of the topic if it has to be created (default: ${DEFAULT-VALUE}).")
    int partitions;

    @Option(names = "--count", defaultValue = "1000", description = "Records to produce (default: ${DEFAULT-VALUE}).")
    long count;

    @Option(names = "--continuous", description = "Produce until stopped (ignores --count).")
    boolean continuous;

    @Option(names = "--rate", defaultValue = "100", description = "Records per second; 0 for as fast as possible (default: ${DEFAULT-VALUE}).")
    double rate;

    @Option(names = "--missing-optional-ratio", defaultValue = "0.1", description = "Share of visits without their optional context (default: ${DEFAULT-VALUE}).")
    double missingOptionalRatio;

    @Option(names = "--malformed-ratio", defaultValue = "0", description = "Share of records that are not valid visits (default: ${DEFAULT-VALUE}).")
    double malformedRatio;

    @Option(names = "--seed", description = "Random seed, for a reproducible data set (default: random).")
    Long seed;

    public static void main(String[] args) {
        Jobs.main(new GenerateVisits(), args);
    }

    @Override
    public Integer call() throws Exception {
        BadFlagValue.requirePositive("--count", count);
        BadFlagValue.requirePositive("--partitions", partitions);
        BadFlagValue.requireRatio("--missing-optional-ratio", missingOptionalRatio);
        BadFlagValue.requireRatio("--malformed-ratio", malformedRatio);
        BadFlagValue.requireNotNegative("--rate", rate, String.valueOf(rate));
        if (!kafka.requireReachable().contains(kafka.topic())) {
            createTopic();
        }
        VisitFaker faker = new VisitFaker(seed != null ? seed : new Random().nextLong(), missingOptionalRatio);
        AtomicLong unacknowledged = new AtomicLong();
        AtomicReference<Exception> firstFailure = new AtomicReference<>();
        long valid = 0;
        long malformed = 0;
        long intervalNanos = rate > 0 ? (long) (1_000_000_000 / rate) : 0;
        long nextSend = System.nanoTime();
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(producerConfig());
             AutoCloseable stopAware = GracefulStop.whenRequested(() -> { /* the loop checks requested() */ })) {
            for (long i = 0; (continuous || i < count) && !GracefulStop.requested(); i++) {
                Instant now = Instant.now();
                String value;
                if (isMalformed(i)) {
                    value = faker.malformed(VisitFaker.Malformed.values()[(int) (malformed++ % 3)], now);
                } else {
                    value = faker.visit(now);
                    valid++;
                }
                producer.send(new ProducerRecord<>(kafka.topic(), value), (metadata, error) -> {
                    if (error != null) {
                        unacknowledged.incrementAndGet();
                        firstFailure.compareAndSet(null, error);
                    }
                });
                if (intervalNanos > 0) {
                    nextSend += intervalNanos;
                    long wait = nextSend - System.nanoTime();
                    if (wait > 0) {
                        TimeUnit.NANOSECONDS.sleep(wait);
                    }
                }
            }
            producer.flush();
        }
        if (unacknowledged.get() > 0) {
            throw new CommandFailure(unacknowledged.get() + " records not acknowledged by Kafka: " + firstFailure.get().getMessage());
        }
        System.out.printf("produced %d records to %s: %d visits, %d malformed%n", valid + malformed, kafka.topic(), valid, malformed);
        return 0;
    }

    /** Record i is malformed when it crosses the next multiple of 1/ratio: exactly floor(n x ratio) of n. */
    private boolean isMalformed(long i) {
        return Math.floor((i + 1) * malformedRatio) > Math.floor(i * malformedRatio);
    }

    /** Creates the topic and waits until every partition has a leader (producing earlier meets NOT_LEADER_OR_FOLLOWER). */
    private void createTopic() {
        try {
            io.streamwatch.rules.KafkaTopics.ensure(kafka.bootstrapServers(),
                    new NewTopic(kafka.topic(), Optional.of(partitions), Optional.empty()));
        } catch (IllegalStateException e) {
            throw new CommandFailure(e.getMessage());
        }
    }

    private Map<String, Object> producerConfig() {
        return Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers(),
                ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class,
                ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class,
                ProducerConfig.ACKS_CONFIG, "all",
                ProducerConfig.LINGER_MS_CONFIG, 5,
                // Kafka's defaults: a shorter request timeout made a loaded broker's slow answer reset the idempotent
                // producer's sequence numbers, after which every retry was refused as out of order (seen in tests).
                ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, 30_000,
                ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 120_000,
                // One batch in flight: a new topic's first batch refused with NOT_LEADER_OR_FOLLOWER is retried before
                // the next is sent. With several in flight, the later ones were taken first and every retry of the
                // first was refused as out of order until delivery timed out (seen in tests on a fresh broker).
                ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION, 1);
    }
}
