package io.streamwatch.listeners;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.streamwatch.testkit.EmbeddedKafka;
import io.streamwatch.testkit.LocalPushgateway;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.spark.SparkConf;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.streaming.StreamingQuery;
import org.apache.spark.sql.streaming.Trigger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import scala.Tuple2;

/**
 * Kafka as production runs it: a broker whose listener takes SASL/PLAIN logins only. With the client properties passed
 * as {@code spark.streamwatch.kafka.*}, the live lag and the offset commits work; without them, one warning each, no
 * secret anywhere, and the query runs on with its lag from the progress. Spark's default redaction hides the documented
 * secret-bearing keys in the Spark UI.
 */
class KafkaSecurityTest {
    private static final EmbeddedKafka.SaslUser USER = new EmbeddedKafka.SaslUser("streamwatch", "kafka-s3cret-pw");

    @TempDir
    static Path dir;
    static EmbeddedKafka kafka;
    static LocalPushgateway pushgateway;
    static SparkSession spark;

    private final QueryCleanups cleanups = new QueryCleanups();

    @BeforeAll
    static void start() {
        kafka = EmbeddedKafka.startWithSasl(dir.resolve("kafka"), USER);
        pushgateway = LocalPushgateway.start(dir.resolve("pushgateway"));
        spark = LocalSparkSessions.withDelta("kafka-security").getOrCreate();
    }

    @AfterAll
    static void stop() {
        spark.stop();
        pushgateway.close();
        kafka.close();
    }

    @AfterEach
    void cleanUp() {
        cleanups.run();
    }

    private static SparkConf conf(String job, boolean withCredentials) {
        SparkConf conf = new SparkConf(false)
                .set(StreamwatchSettings.PUSHGATEWAY_ADDRESS, pushgateway.address())
                .set(StreamwatchSettings.JOB, job)
                .set(StreamwatchSettings.HEARTBEAT_INTERVAL, "500ms")
                .set(StreamwatchSettings.KAFKA_BOOTSTRAP_SERVERS, kafka.saslBootstrapServers())
                .set(StreamwatchSettings.KAFKA_COMMIT_GROUP, job + "-{query}");
        if (withCredentials) {
            conf.set("spark.streamwatch.kafka.security.protocol", "SASL_PLAINTEXT")
                    .set("spark.streamwatch.kafka.sasl.mechanism", "PLAIN")
                    .set("spark.streamwatch.kafka.sasl.jaas.config", USER.jaasConfig());
        }
        return conf;
    }

    /** The job's own query reads the topic through the broker's plain listener; streamwatch reaches the SASL one. */
    private StreamingQuery query(String name, String topic) throws Exception {
        return cleanups.stopAfter(spark.readStream().format("kafka").option("kafka.bootstrap.servers", kafka.bootstrapServers())
                .option("subscribe", topic).option("startingOffsets", "earliest").load()
                .writeStream().queryName(name).format("noop").option("checkpointLocation", dir.resolve("checkpoint-" + name).toString())
                .trigger(Trigger.ProcessingTime(300)).start());
    }

    @Test
    void withTheClientPropertiesTheLiveLagAndTheCommitsReachASaslBroker() throws Exception {
        kafka.createTopic("secured-orders", 2);
        kafka.createTopic("secured-metrics", 1);
        kafka.send("secured-orders", Collections.nCopies(20, "order"));
        try (CapturedLogs logs = new CapturedLogs()) {
            SparkConf conf = conf("secured", true)
                    .set(StreamwatchSettings.METRICS_TOPIC_SERVERS, kafka.saslBootstrapServers())
                    .set(StreamwatchSettings.METRICS_TOPIC, "secured-metrics");
            cleanups.attach(spark, new KafkaLagListener(conf));
            cleanups.attach(spark, new KafkaOffsetCommitListener(conf));
            query("orders", "secured-orders");

            await().atMost(Duration.ofSeconds(60)).until(() -> committed("secured-orders").values().stream().mapToLong(Long::longValue).sum() == 20);
            for (String partition : List.of("0", "1")) {
                await().atMost(Duration.ofSeconds(30)).until(() -> pushgateway.value(MetricNaming.STREAMWATCH.kafkaLag(),
                        Map.of("job", "secured", "topic", "secured-orders", "partition", partition)).orElse(-1) == 0);
            }
            kafka.send("secured-orders", Collections.nCopies(4, "later"));
            await().atMost(Duration.ofSeconds(30)).until(() -> committed("secured-orders").values().stream().mapToLong(Long::longValue).sum() == 24);

            await("the metrics topic bridge sends through the SASL listener too").atMost(Duration.ofSeconds(30))
                    .until(() -> kafka.read("secured-metrics").stream().anyMatch(r -> r.key().startsWith(MetricNaming.STREAMWATCH.kafkaLag())));
            cleanups.add(() -> {
                PushgatewayPublisher.shared(pushgateway.address()).removeForwarder(MetricsTopicBridge.shared(
                        StreamwatchSettings.from(conf).metricsTopic().orElseThrow()));
                MetricsTopicBridge.shared(StreamwatchSettings.from(conf).metricsTopic().orElseThrow()).close();
            });
            assertFalse(logs.text().contains("cannot read the Kafka end offsets"), logs.text());
            assertFalse(logs.text().contains("cannot send to secured-metrics"), logs.text());
            assertFalse(logs.text().contains("cannot commit"), logs.text());
            assertNoSecret(logs.text());
        }
    }

    @Test
    void withoutThemOneWarningEachNoSecretAndTheQueryRunsOn() throws Exception {
        kafka.createTopic("plain-orders", 1);
        kafka.send("plain-orders", Collections.nCopies(6, "order"));
        try (CapturedLogs logs = new CapturedLogs()) {
            SparkConf conf = conf("unsecured", false).set("spark.streamwatch.kafka.ssl.truststore.password", "truststore-s3cret-pw");
            cleanups.attach(spark, new KafkaLagListener(conf));
            cleanups.attach(spark, new KafkaOffsetCommitListener(conf));
            StreamingQuery query = query("unsecured", "plain-orders");

            await().atMost(Duration.ofSeconds(90)).until(() -> count(logs.text(), "cannot read the Kafka end offsets from") == 1
                    && count(logs.text(), "cannot commit the processed offsets") == 1);
            long batch = query.lastProgress().batchId();
            kafka.send("plain-orders", Collections.nCopies(3, "later"));
            await().atMost(Duration.ofSeconds(30)).until(() -> query.lastProgress().batchId() > batch);
            assertTrue(query.isActive(), "the query runs on");
            assertEquals(0, pushgateway.value(MetricNaming.STREAMWATCH.kafkaLag(),
                    Map.of("job", "unsecured", "topic", "plain-orders", "partition", "0")).orElse(-1),
                    "the lag comes from the progress meanwhile");
            assertEquals(1, count(logs.text(), "cannot read the Kafka end offsets from"), "one warning, not one per batch");
            assertTrue(logs.text().contains("with ssl.truststore.password"), "the warning names the properties: " + logs.text());
            assertNoSecret(logs.text());
            assertFalse(logs.text().contains("truststore-s3cret-pw"), logs.text());
        }
    }

    @Test
    void sparksDefaultRedactionHidesTheSecretBearingKafkaProperties() {
        SparkConf conf = conf("redacted", true)
                .set("spark.streamwatch.kafka.ssl.truststore.password", "truststore-s3cret-pw")
                .set("spark.streamwatch.kafka.ssl.keystore.password", "keystore-s3cret-pw")
                .set("spark.streamwatch.kafka.ssl.key.password", "key-s3cret-pw");
        String shown = redacted(conf);
        assertNoSecret(shown);
        assertFalse(Pattern.compile("s3cret-pw").matcher(shown).find(), shown);
        assertTrue(shown.contains("spark.streamwatch.kafka.sasl.mechanism=PLAIN"), "what is no secret stays readable: " + shown);

        SparkConf pem = new SparkConf(false).set("spark.streamwatch.kafka.ssl.keystore.key", "-----BEGIN PRIVATE KEY----- MIIEv");
        assertTrue(redacted(pem).contains("MIIEv"), "a PEM key is not covered by Spark's default: the docs say what to add");
        pem.set("spark.redaction.regex", "(?i)secret|password|token|access[.]key|keystore[.]key|jaas");
        assertFalse(redacted(pem).contains("MIIEv"), "with the regex the docs give, it is hidden");
    }

    /** What Spark shows of the configuration (its Environment page and event log use the same redaction). */
    private static String redacted(SparkConf conf) {
        StringBuilder shown = new StringBuilder();
        scala.collection.Seq<Tuple2<String, String>> all = scala.collection.JavaConverters.asScalaBuffer(List.of(conf.getAll())).toSeq();
        scala.collection.JavaConverters.seqAsJavaList(org.apache.spark.util.Utils.redact(conf, all))
                .forEach(entry -> shown.append(entry._1()).append('=').append(entry._2()).append('\n'));
        return shown.toString();
    }

    private static void assertNoSecret(String text) {
        assertFalse(text.contains(USER.password()), text);
    }

    private static long count(String text, String what) {
        return Pattern.compile(Pattern.quote(what)).matcher(text).results().count();
    }

    /** The offsets committed to a consumer group ({@code <job>-<query>}). */
    private static Map<TopicPartition, Long> committed(String group) throws Exception {
        Map<TopicPartition, Long> offsets = new java.util.HashMap<>();
        try (var admin = kafka.admin()) {
            Map<TopicPartition, OffsetAndMetadata> listed = admin.listConsumerGroupOffsets(group)
                    .partitionsToOffsetAndMetadata().get(10, TimeUnit.SECONDS);
            listed.forEach((tp, offset) -> offsets.put(tp, offset.offset()));
        }
        return offsets;
    }
}
