package io.streamwatch.compat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.streamwatch.listeners.BatchDurationListener;
import io.streamwatch.listeners.EventTimeListener;
import io.streamwatch.listeners.KafkaLagListener;
import io.streamwatch.listeners.KafkaOffsetCommitListener;
import io.streamwatch.listeners.MetricNaming;
import io.streamwatch.listeners.MonitoringHealthListener;
import io.streamwatch.listeners.QueryHealthListener;
import io.streamwatch.listeners.QueryStatusListener;
import io.streamwatch.listeners.ReaderVersionListener;
import io.streamwatch.listeners.StreamwatchListener;
import io.streamwatch.listeners.StreamwatchSettings;
import io.streamwatch.testkit.ChildJvm;
import io.streamwatch.testkit.EmbeddedKafka;
import io.streamwatch.testkit.ForeignJob;
import io.streamwatch.testkit.LocalPushgateway;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import java.util.zip.ZipFile;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The runtime matrix the README's compatibility table states: on each runtime of {@code runtimes/} (Spark 3.5 on
 * Scala 2.12 and 2.13, Spark 4.0, the newest Spark 4.x), a job that knows nothing of streamwatch, compiled against that
 * runtime alone, runs a Kafka-source and a Delta-source query in a child JVM with the listener jar for its Scala
 * version and {@code StreamwatchListener} attached by configuration; the reader version (exact), the Kafka lag, the batch
 * duration, the health and the status reach a real Pushgateway, no signal fails, and a graceful stop removes the
 * running series. And on a class path of spark-sql and the listener jar alone (no Kafka client, no Delta, another
 * Prometheus client first), every listener attached by configuration leaves the job running.
 */
class RuntimeMatrixTest {
    private static final List<String> RUNTIMES_RUN = Collections.synchronizedList(new ArrayList<>());
    private static final Pattern SPARK_VERSION = Pattern.compile("Running Spark version (\\S+)");
    private static final Pattern LINKAGE = Pattern.compile("NoSuchMethodError|NoClassDefFoundError|AbstractMethodError|"
            + "IncompatibleClassChangeError|ClassCastException|failed; the query goes on|Exception when registering StreamingQueryListener");
    private static final int ORDERS = 30;

    @TempDir
    static Path dir;
    static LocalPushgateway pushgateway;
    static EmbeddedKafka kafka;

    @BeforeAll
    static void start() {
        pushgateway = LocalPushgateway.start(dir.resolve("pushgateway"));
        kafka = EmbeddedKafka.start(dir.resolve("kafka"));
    }

    @AfterAll
    static void stop() {
        RUNTIMES_RUN.forEach(System.out::println);
        if (kafka != null) {
            kafka.close();
        }
        if (pushgateway != null) {
            pushgateway.close();
        }
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource({"spark-3.5-scala-2.12, 2.12", "spark-3.5-scala-2.13, 2.13", "spark-4.0, 2.13", "spark-4.2, 2.13"})
    void theSignalsOfAKafkaAndADeltaQueryReachThePushgateway(String runtime, String scala) throws IOException {
        String classPath = Runtimes.classPath(runtime);
        Path work = Files.createDirectories(dir.resolve(runtime));
        Path classes = ForeignJob.compile(classPath, work);
        String topic = "orders-" + runtime.replace('.', '-');
        kafka.createTopic(topic, 1);
        kafka.send(topic, IntStream.range(0, ORDERS).mapToObj(i -> "{\"order\": " + i + "}").toList());
        String job = "compat_" + runtime.replace('-', '_').replace('.', '_');

        try (ChildJvm foreign = start(classes, classPath, listenersJar(scala), work, Map.of(
                "spark.sql.streaming.streamingQueryListeners", StreamwatchListener.class.getName(),
                StreamwatchSettings.JOB, job,
                StreamwatchSettings.HEARTBEAT_INTERVAL, "1s",
                StreamwatchSettings.KAFKA_BOOTSTRAP_SERVERS, kafka.bootstrapServers()),
                "kafka=" + kafka.bootstrapServers() + "/" + topic, "delta")) {
            Map<String, String> delta = Map.of("job", job, "query", "orders_from_delta");
            Map<String, String> fromKafka = Map.of("job", job, "query", "orders_from_kafka", "topic", topic, "partition", "0");
            Map<String, String> kafkaQuery = Map.of("job", job, "query", "orders_from_kafka");
            await(runtime).atMost(Duration.ofMinutes(4)).pollInterval(Duration.ofMillis(500)).failFast(() -> !foreign.isAlive())
                    .untilAsserted(() -> {
                        assertEquals(2, value(ReaderVersionListener.class, MetricNaming.STREAMWATCH.readerVersion(), delta),
                                "the reader version of three commits, versions 0 to 2");
                        assertEquals(0, value(ReaderVersionListener.class, MetricNaming.STREAMWATCH.readerLagVersions(), delta));
                        assertEquals(0, value(KafkaLagListener.class, MetricNaming.STREAMWATCH.kafkaLag(), fromKafka),
                                "all " + ORDERS + " records processed");
                        for (Map<String, String> query : List.of(delta, kafkaQuery)) {
                            assertTrue(value(BatchDurationListener.class, BatchDurationListener.LAST_BATCH_SECONDS, query) >= 0);
                            assertEquals(1, value(QueryHealthListener.class, QueryHealthListener.UP, query));
                            assertTrue(present(QueryStatusListener.STATUS, query), "status of " + query);
                        }
                    });

            Files.createFile(work.resolve("stop"));
            assertEquals(0, foreign.awaitExit(Duration.ofMinutes(2)), foreign::log);
            assertFalse(pushgateway.value(QueryHealthListener.UP, kafkaQuery).isPresent(), "a graceful stop removes the running series");
            String log = foreign.log();
            assertNoLinkageFailure(log);
            RUNTIMES_RUN.add(String.format("runtime %-22s Spark %s, Scala %s, %s, Java %s: reader version 2, Kafka lag 0, batch duration, "
                    + "health and status pushed; graceful stop removed them", runtime, sparkVersion(log), scala, deltaOf(classPath),
                    System.getProperty("java.specification.version")));
        }
    }

    @Test
    void onAClassPathOfSparkSqlAndTheListenerJarAloneEveryListenerLeavesTheJobRunning() throws IOException {
        String classPath = Runtimes.classPath("plain-spark-3.5");
        assertFalse(classPath.contains("kafka-clients") || classPath.contains("delta-spark"), "neither Kafka's client nor Delta");
        assertTrue(classPath.contains("simpleclient-0.12.0") || classPath.contains("simpleclient/0.12.0"),
                "another Prometheus client version is on the class path, ahead of the listener jar");
        Path work = Files.createDirectories(dir.resolve("plain"));
        Path classes = ForeignJob.compile(classPath, work);
        Path listeners = listenersJar("2.12");
        try (ZipFile jar = new ZipFile(listeners.toFile())) {
            assertTrue(jar.stream().noneMatch(entry -> entry.getName().startsWith("io/prometheus/")),
                    "the -all jar relocates what it bundles");
        }
        String every = String.join(",", Stream.of(StreamwatchListener.class, BatchDurationListener.class, QueryHealthListener.class,
                QueryStatusListener.class, MonitoringHealthListener.class, KafkaLagListener.class, KafkaOffsetCommitListener.class,
                ReaderVersionListener.class, EventTimeListener.class).map(Class::getName).toList());

        int scrapePort = io.streamwatch.testkit.FreePorts.next();
        try (ChildJvm plain = start(classes, classPath, listeners, work, Map.of(
                "spark.sql.streaming.streamingQueryListeners", every,
                StreamwatchSettings.JOB, "compat_plain",
                StreamwatchSettings.PROMETHEUS_PORT, String.valueOf(scrapePort),
                StreamwatchSettings.PROMETHEUS_HOST, "127.0.0.1",
                StreamwatchSettings.HEARTBEAT_INTERVAL, "1s",
                StreamwatchSettings.KAFKA_BOOTSTRAP_SERVERS, kafka.bootstrapServers(),
                StreamwatchSettings.KAFKA_COMMIT_GROUP, "spark-{query}",
                StreamwatchSettings.METRICS_TOPIC_SERVERS, kafka.bootstrapServers()), "rate")) {
            Map<String, String> rate = Map.of("job", "compat_plain", "query", "rate_stream");
            await("plain").atMost(Duration.ofMinutes(3)).failFast(() -> !plain.isAlive()).untilAsserted(() -> {
                assertTrue(value(BatchDurationListener.class, MetricNaming.STREAMWATCH.batchDurationSeconds(), rate) >= 0);
                assertEquals(1, value(QueryHealthListener.class, QueryHealthListener.UP, rate));
                assertTrue(present(QueryStatusListener.STATUS, rate));
            });
            await("the driver serves /metrics with its relocated HTTP server").atMost(Duration.ofSeconds(30)).until(() ->
                    io.streamwatch.testkit.Http.get("http://127.0.0.1:" + scrapePort + "/metrics")
                            .filter(text -> text.contains("streamwatch_query_up{job=\"compat_plain\",query=\"rate_stream\"")).isPresent());
            await("the metrics topic bridge tried to send").atMost(Duration.ofSeconds(30))
                    .until(() -> plain.log().contains("nothing is sent to a metrics topic"));
            Files.createFile(work.resolve("stop"));
            assertEquals(0, plain.awaitExit(Duration.ofMinutes(2)), plain::log);
            String log = plain.log();
            assertNoLinkageFailure(log);
            assertEquals(1, count(log, "Kafka's client is not on the classpath; no offsets are committed"), log);
            assertEquals(1, count(log, "is set but Kafka's client is not on the classpath; nothing is sent to a metrics topic"), log);
            RUNTIMES_RUN.add(String.format("runtime %-22s Spark %s, Scala 2.12, no Kafka client, no Delta, simpleclient 0.12.0 first: "
                    + "every listener attached, /metrics served, the job ran and stopped with 0", "plain-spark-3.5", sparkVersion(log)));
        }
    }

    /** The Pushgateway prune tool runs from the -all jar alone (no Spark, no Jackson, no SLF4J), as the runbook calls it. */
    @Test
    void thePruneToolRunsFromTheListenerJarAlone() throws IOException {
        Path work = Files.createDirectories(dir.resolve("prune"));
        for (String scala : List.of("2.12", "2.13")) {
            try (ChildJvm prune = ChildJvm.start(listenersJar(scala).toString(), "io.streamwatch.listeners.PushgatewayPrune", Map.of(),
                    work.resolve("prune-" + scala + ".log"), "--pushgateway", pushgateway.address(), "--older-than", "1h", "--dry-run")) {
                assertEquals(0, prune.awaitExit(Duration.ofMinutes(1)), prune::log);
                assertTrue(prune.log().contains("would delete 0 group(s)"), prune::log);
            }
        }
    }

    private static ChildJvm start(Path classes, String runtimeClassPath, Path listenersJar, Path work, Map<String, String> settings,
            String... sources) {
        List<String> options = new ArrayList<>(ChildJvm.sparkJavaOptions());
        options.addAll(List.of("-Xmx1g", "-Dspark.master=local[2]", "-Dspark.ui.enabled=false", "-Dspark.sql.shuffle.partitions=2",
                "-D" + StreamwatchSettings.PUSHGATEWAY_ADDRESS + "=" + pushgateway.address()));
        settings.forEach((key, value) -> options.add("-D" + key + "=" + value));
        String classPath = String.join(File.pathSeparator, classes.toString(), runtimeClassPath, listenersJar.toString());
        List<String> args = new ArrayList<>(List.of(work.toString()));
        args.addAll(List.of(sources));
        return ChildJvm.start(options, classPath, ForeignJob.MAIN_CLASS, Map.of("SPARK_LOCAL_IP", "127.0.0.1"),
                work.resolve("job.log"), args.toArray(String[]::new));
    }

    private static double value(Class<?> listener, String metric, Map<String, String> labels) {
        return pushgateway.value(metric, labels).orElseThrow(() -> new AssertionError(listener.getSimpleName() + ": no " + metric + labels));
    }

    /** Whether any series of the metric has these labels (the status has one series per state). */
    private static boolean present(String metric, Map<String, String> labels) {
        return pushgateway.metrics().samples().stream().anyMatch(sample -> sample.matches(metric, labels));
    }

    private static Path listenersJar(String scala) {
        Path jar = Path.of(System.getProperty("streamwatch.listeners.jar." + scala));
        assertTrue(Files.exists(jar), "the listener jar is built first: " + jar);
        return jar;
    }

    private static void assertNoLinkageFailure(String log) {
        Matcher failure = LINKAGE.matcher(log);
        assertFalse(failure.find(), () -> "a signal failed on this runtime: " + log.substring(Math.max(0, failure.start() - 400),
                Math.min(log.length(), failure.end() + 1200)));
    }

    private static long count(String log, String text) {
        return Pattern.compile(Pattern.quote(text)).matcher(log).results().count();
    }

    private static String sparkVersion(String log) {
        Matcher version = SPARK_VERSION.matcher(log);
        return version.find() ? version.group(1) : "?";
    }

    private static String deltaOf(String classPath) {
        Matcher delta = Pattern.compile("delta-spark_2\\.1[23]-([0-9.]+)\\.jar").matcher(classPath);
        return delta.find() ? "Delta " + delta.group(1) : "no Delta";
    }

    private static org.awaitility.core.ConditionFactory await(String what) {
        return org.awaitility.Awaitility.await(what).ignoreExceptions();
    }
}
