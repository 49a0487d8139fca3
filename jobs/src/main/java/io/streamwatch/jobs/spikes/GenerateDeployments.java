package io.streamwatch.jobs.spikes;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.streamwatch.cli.BadFlagValue;
import io.streamwatch.cli.DurationConverter;
import io.streamwatch.jobs.common.GracefulStop;
import io.streamwatch.cli.CommandFailure;
import io.streamwatch.jobs.common.Jobs;
import io.streamwatch.cli.KafkaBrokers;
import io.streamwatch.rules.KafkaTopics;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import net.datafaker.Faker;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * The deployments producer of the aggregate-alerting demo: a population of customers (ids 0..N-1, a faker's
 * name, {@code cloud} with probability 0.2 else {@code on_prem}, an organization A to D), one
 * {@code deployment_created} event per customer at start, then every {@code --spike-every} a spike of
 * {@code --spike-size} copies of one random customer's event; optionally a steady background rate. Key = the
 * customer id, {@code event_ts} = Unix seconds at sending.
 */
@Command(name = "GenerateDeployments", mixinStandardHelpOptions = true,
        description = "Produces deployment_created events with periodic spikes to Kafka (topic customer_events).")
public final class GenerateDeployments implements Callable<Integer> {
    public static final String TOPIC = "customer_events";
    static final List<String> ORGANIZATIONS = List.of("A", "B", "C", "D");
    private static final ObjectMapper JSON = new ObjectMapper();

    @Mixin
    KafkaBrokers brokers = new KafkaBrokers();

    @Option(names = "--topic", defaultValue = TOPIC, description = "Topic, created with 3 partitions when missing (default: ${DEFAULT-VALUE}).")
    String topic;

    @Option(names = "--customers", defaultValue = "10", description = "Customers in the population (default: ${DEFAULT-VALUE}).")
    int customers;

    @Option(names = "--spike-every", defaultValue = "90s", converter = DurationConverter.class,
            description = "Time between spikes, the first one after it (default: ${DEFAULT-VALUE}).")
    Duration spikeEvery;

    @Option(names = "--spike-size", defaultValue = "10", description = "Copies of one customer's event in a spike (default: ${DEFAULT-VALUE}).")
    int spikeSize;

    @Option(names = "--steady-rate", defaultValue = "0", description = "Background events per second between spikes (default: ${DEFAULT-VALUE}: none).")
    double steadyRate;

    @Option(names = "--count", description = "Stop after this many events (default: run until stopped).")
    Long count;

    @Option(names = "--continuous", description = "Run until stopped (the default without --count).")
    boolean continuous;

    @Option(names = "--seed", description = "Random seed: the same population and spikes (default: random).")
    Long seed;

    /** One customer of the population. */
    record Customer(int id, String name, String deploymentType, String organization) {
    }

    public static void main(String[] args) {
        Jobs.main(new GenerateDeployments(), args);
    }

    @Override
    public Integer call() throws Exception {
        BadFlagValue.requirePositive("--customers", customers);
        BadFlagValue.requirePositive("--spike-size", spikeSize);
        BadFlagValue.requirePositive("--spike-every", spikeEvery.toMillis());
        BadFlagValue.requireNotNegative("--steady-rate", steadyRate, String.valueOf(steadyRate));
        if (count != null) {
            BadFlagValue.requirePositive("--count", count);
            if (continuous) {
                throw new BadFlagValue("--count and --continuous contradict each other");
            }
        }
        if (!KafkaTopics.isLegal(topic)) {
            throw new BadFlagValue("--topic: '" + topic + "' is not a Kafka topic name");
        }
        try {
            KafkaTopics.ensure(brokers.bootstrapServers(), new NewTopic(topic, Optional.of(3), Optional.empty()));
        } catch (IllegalStateException e) {
            throw new CommandFailure(e.getMessage());
        }
        Random random = new Random(seed != null ? seed : new Random().nextLong());
        List<Customer> population = population(random, customers);
        AtomicLong failed = new AtomicLong();
        AtomicReference<Exception> firstFailure = new AtomicReference<>();
        long sent = 0;
        long spikes = 0;
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, brokers.bootstrapServers(), ProducerConfig.ACKS_CONFIG, "all",
                ProducerConfig.LINGER_MS_CONFIG, 5), new StringSerializer(), new StringSerializer());
             AutoCloseable stopAware = GracefulStop.whenRequested(() -> { /* the loop checks requested() */ })) {
            Sender send = customer -> producer.send(new ProducerRecord<>(topic, String.valueOf(customer.id()), event(customer)), (metadata, e) -> {
                if (e != null) {
                    failed.incrementAndGet();
                    firstFailure.compareAndSet(null, e);
                }
            });
            for (Customer customer : population) {
                if (done(sent)) {
                    break;
                }
                send.send(customer);
                sent++;
            }
            long start = System.nanoTime();
            long nextSpike = start + spikeEvery.toNanos();
            long steadyInterval = steadyRate > 0 ? (long) (1_000_000_000L / steadyRate) : Long.MAX_VALUE;
            long nextSteady = steadyRate > 0 ? start + steadyInterval : Long.MAX_VALUE;
            while (!done(sent) && !GracefulStop.requested()) {
                long now = System.nanoTime();
                if (now >= nextSpike) {
                    Customer spiking = population.get(random.nextInt(population.size()));
                    for (int i = 0; i < spikeSize && !done(sent); i++) {
                        send.send(spiking);
                        sent++;
                    }
                    spikes++;
                    System.out.printf("spike %d: %d deployments of customer %d (organization %s)%n", spikes, spikeSize, spiking.id(),
                            spiking.organization());
                    nextSpike += spikeEvery.toNanos();
                } else if (now >= nextSteady) {
                    send.send(population.get(random.nextInt(population.size())));
                    sent++;
                    nextSteady += steadyInterval;
                } else {
                    TimeUnit.NANOSECONDS.sleep(Math.min(Math.min(nextSpike, nextSteady) - now, 100_000_000L));
                }
            }
            producer.flush();
        }
        if (failed.get() > 0) {
            throw new CommandFailure(failed.get() + " events not acknowledged by Kafka: " + firstFailure.get().getMessage());
        }
        System.out.printf("produced %d events to %s (%d spikes)%n", sent, topic, spikes);
        return 0;
    }

    private interface Sender {
        void send(Customer customer);
    }

    private boolean done(long sent) {
        return count != null && sent >= count;
    }

    /** The customers: ids 0..n-1, each a faker's name, a deployment type (cloud 0.2) and an organization. */
    static List<Customer> population(Random random, int size) {
        Faker faker = new Faker(new Random(random.nextLong()));
        List<Customer> population = new ArrayList<>();
        for (int id = 0; id < size; id++) {
            population.add(new Customer(id, faker.name().fullName(), random.nextDouble() < 0.2 ? "cloud" : "on_prem",
                    ORGANIZATIONS.get(random.nextInt(ORGANIZATIONS.size()))));
        }
        return population;
    }

    static String event(Customer customer) {
        ObjectNode event = JSON.createObjectNode();
        event.put("customer_id", customer.id());
        event.put("customer_name", customer.name());
        event.put("deployment_type", customer.deploymentType());
        event.put("event_type", "deployment_created");
        event.put("organization", customer.organization());
        event.put("event_ts", System.currentTimeMillis() / 1000);
        return event.toString();
    }
}
