package io.streamwatch.testkit;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import kafka.server.KafkaConfig;
import kafka.server.KafkaRaftServer;
import kafka.server.MetaProperties;
import kafka.tools.StorageTool;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.common.utils.Time;
import org.apache.kafka.server.common.MetadataVersion;
import scala.collection.JavaConverters;

/**
 * A single-node Kafka broker in KRaft mode (broker and controller in one), in this JVM, on free loopback
 * ports: the embedded default of the demo and the broker of the tests.
 */
public final class EmbeddedKafka implements AutoCloseable {
    private final KafkaRaftServer server;
    private final String bootstrapServers;
    private final String saslBootstrapServers;

    /** A user of a SASL/PLAIN listener (a broker as production runs it), its password a secret. */
    public record SaslUser(String name, String password) {
        /** The client property {@code sasl.jaas.config} that logs this user in. */
        public String jaasConfig() {
            return "org.apache.kafka.common.security.plain.PlainLoginModule required username=\"" + name + "\" password=\"" + password + "\";";
        }
    }

    private EmbeddedKafka(Path logDir, SaslUser saslUser) {
        int brokerPort = FreePorts.next();
        int controllerPort = FreePorts.next();
        int saslPort = saslUser == null ? -1 : FreePorts.next();
        String sasl = saslUser == null ? "" : ",SASL_PLAINTEXT://127.0.0.1:" + saslPort;
        Properties props = new Properties();
        props.put("process.roles", "broker,controller");
        props.put("node.id", "1");
        props.put("controller.quorum.voters", "1@127.0.0.1:" + controllerPort);
        props.put("listeners", "PLAINTEXT://127.0.0.1:" + brokerPort + ",CONTROLLER://127.0.0.1:" + controllerPort + sasl);
        props.put("advertised.listeners", "PLAINTEXT://127.0.0.1:" + brokerPort + sasl);
        props.put("controller.listener.names", "CONTROLLER");
        props.put("listener.security.protocol.map", "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT,SASL_PLAINTEXT:SASL_PLAINTEXT");
        if (saslUser != null) {
            props.put("sasl.enabled.mechanisms", "PLAIN");
            props.put("listener.name.sasl_plaintext.plain.sasl.jaas.config", "org.apache.kafka.common.security.plain.PlainLoginModule required "
                    + "user_" + saslUser.name() + "=\"" + saslUser.password() + "\";");
        }
        props.put("inter.broker.listener.name", "PLAINTEXT");
        props.put("log.dirs", logDir.toString());
        props.put("offsets.topic.replication.factor", "1");
        props.put("offsets.topic.num.partitions", "1");
        props.put("transaction.state.log.replication.factor", "1");
        props.put("transaction.state.log.min.isr", "1");
        props.put("group.initial.rebalance.delay.ms", "0");
        props.put("num.partitions", "1");
        props.put("auto.create.topics.enable", "false");
        KafkaConfig config = new KafkaConfig(props);
        format(logDir, config);
        server = new KafkaRaftServer(config, Time.SYSTEM, scala.Option.empty());
        server.startup();
        bootstrapServers = "127.0.0.1:" + brokerPort;
        saslBootstrapServers = saslUser == null ? null : "127.0.0.1:" + saslPort;
    }

    /** Starts a broker with its log in {@code workDir}; returns once it answers. */
    public static EmbeddedKafka start(Path workDir) {
        return start(workDir, null);
    }

    /**
     * Starts a broker that also has a SASL_PLAINTEXT listener ({@link #saslBootstrapServers()}) where only {@code user}
     * logs in (mechanism PLAIN); its plain listener stays for the test's own clients.
     */
    public static EmbeddedKafka startWithSasl(Path workDir, SaslUser user) {
        return start(workDir, user);
    }

    private static EmbeddedKafka start(Path workDir, SaslUser saslUser) {
        try {
            Path logDir = Files.createDirectories(workDir.resolve("kafka-logs"));
            EmbeddedKafka kafka = new EmbeddedKafka(logDir, saslUser);
            kafka.awaitReady();
            return kafka;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void format(Path logDir, KafkaConfig config) {
        MetaProperties meta = new MetaProperties(Uuid.randomUuid().toString(), 1);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int result = StorageTool.formatCommand(new PrintStream(out), JavaConverters.asScalaBuffer(List.of(logDir.toString())).toSeq(),
                meta, MetadataVersion.latest(), true);
        if (result != 0) {
            throw new IllegalStateException("cannot format the Kafka log dir: " + out);
        }
    }

    private void awaitReady() {
        try (Admin admin = admin()) {
            admin.describeCluster().nodes().get(30, TimeUnit.SECONDS);
        } catch (InterruptedException | ExecutionException | TimeoutException e) {
            close();
            throw new IllegalStateException("the embedded Kafka broker did not start", e);
        }
    }

    public String bootstrapServers() {
        return bootstrapServers;
    }

    /** The SASL_PLAINTEXT listener's address (a broker started with {@link #startWithSasl}). */
    public String saslBootstrapServers() {
        if (saslBootstrapServers == null) {
            throw new IllegalStateException("this broker has no SASL listener");
        }
        return saslBootstrapServers;
    }

    public Admin admin() {
        return Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers));
    }

    /** How many records the topic's partitions hold in all (the sum of their end offsets). */
    public long records(String topic) {
        try (Admin admin = admin()) {
            Map<TopicPartition, OffsetSpec> request = new HashMap<>();
            admin.describeTopics(List.of(topic)).allTopicNames().get(30, TimeUnit.SECONDS).get(topic).partitions().forEach(p ->
                    request.put(new TopicPartition(topic, p.partition()), OffsetSpec.latest()));
            return admin.listOffsets(request).all().get(30, TimeUnit.SECONDS).values().stream().mapToLong(o -> o.offset()).sum();
        } catch (ExecutionException | TimeoutException e) {
            throw new IllegalStateException("cannot read the end offsets of " + topic, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** Sends these values (no key) to the topic and waits until Kafka has them. */
    public void send(String topic, List<String> values) {
        produce(values.stream().map(value -> new ProducerRecord<String, String>(topic, value)).toList());
    }

    /** Sends these values (no key, partition 0) with the record timestamp given (epoch millis) and waits until Kafka has them. */
    public void sendAt(String topic, long timestampMillis, List<String> values) {
        produce(values.stream().map(value -> new ProducerRecord<String, String>(topic, 0, timestampMillis,
                null, value)).toList());
    }

    private void produce(List<ProducerRecord<String, String>> records) {
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
                ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class,
                ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class))) {
            for (ProducerRecord<String, String> record : records) {
                producer.send(record).get(30, TimeUnit.SECONDS);
            }
        } catch (ExecutionException | TimeoutException e) {
            throw new IllegalStateException("cannot send to " + (records.isEmpty() ? "?" : records.get(0).topic()), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** One record as read back: key, value (null for a tombstone), partition and offset. */
    public record Record(String key, String value, int partition, long offset) {
    }

    /** Every record the topic holds now, partition by partition in offset order (no consumer group). */
    public List<Record> read(String topic) {
        Map<String, Object> config = Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
                ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class,
                ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class,
                ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(config)) {
            List<TopicPartition> partitions = consumer.partitionsFor(topic, Duration.ofSeconds(30)).stream()
                    .map(info -> new TopicPartition(topic, info.partition())).toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            Map<TopicPartition, Long> ends = consumer.endOffsets(partitions);
            List<Record> records = new ArrayList<>();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (partitions.stream().anyMatch(p -> consumer.position(p) < ends.get(p))) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("cannot read " + topic + " to its end within 30 s");
                }
                consumer.poll(Duration.ofMillis(200)).forEach(r -> records.add(new Record(r.key(), r.value(), r.partition(), r.offset())));
            }
            records.sort(Comparator.comparingInt(Record::partition).thenComparingLong(Record::offset));
            return records;
        }
    }

    /** Sends keyed records (key, value pairs, in order) and waits until Kafka has them. */
    public void sendKeyed(String topic, List<Map.Entry<String, String>> records) {
        produce(records.stream().map(record -> new ProducerRecord<>(topic, record.getKey(), record.getValue()))
                .toList());
    }

    /** Creates the topic unless it exists. */
    public void createTopic(String topic, int partitions) {
        try (Admin admin = admin()) {
            admin.createTopics(List.of(new NewTopic(topic, partitions, (short) 1))).all().get(30, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            if (!(e.getCause() instanceof TopicExistsException)) {
                throw new IllegalStateException("cannot create topic " + topic, e);
            }
        } catch (InterruptedException | TimeoutException e) {
            throw new IllegalStateException("cannot create topic " + topic, e);
        }
    }

    /** What {@link #main} prints once the broker answers, followed by its bootstrap servers. */
    public static final String READY = "embedded kafka ready at ";

    /**
     * A broker in a process of its own, for measurements of one JVM's CPU that the broker must not share
     * (benchmarks): {@code EmbeddedKafka <work dir>}, prints {@link #READY} and its address, runs until stopped.
     */
    public static void main(String[] args) throws InterruptedException {
        EmbeddedKafka kafka = start(Path.of(args[0]));
        Runtime.getRuntime().addShutdownHook(new Thread(kafka::close));
        System.out.println(READY + kafka.bootstrapServers());
        Thread.currentThread().join();
    }

    @Override
    public void close() {
        server.shutdown();
        server.awaitShutdown();
    }
}
