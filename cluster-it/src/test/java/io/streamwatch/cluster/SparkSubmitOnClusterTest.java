package io.streamwatch.cluster;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.streamwatch.jobs.alarms.Alarms;
import io.streamwatch.jobs.common.SparkSessions;
import io.streamwatch.rules.KafkaTopics;
import io.streamwatch.rules.Operator;
import io.streamwatch.rules.Rule;
import io.streamwatch.testkit.WebhookReceiver;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.spark.sql.SparkSession;
import io.streamwatch.jobs.lag.ConsumeVisits;
import io.streamwatch.jobs.visits.CreateVisitsTable;
import io.streamwatch.jobs.sla.GenerateVisits;
import io.streamwatch.jobs.lag.ReadVisits;
import io.streamwatch.jobs.sla.SyncVisitsToDelta;
import io.streamwatch.jobs.lag.WriteVisits;
import io.streamwatch.listeners.BatchDurationListener;
import io.streamwatch.listeners.KafkaLagListener;
import io.streamwatch.listeners.QueryHealthListener;
import io.streamwatch.listeners.ReaderVersionListener;
import io.streamwatch.listeners.QueryStatusListener;
import io.streamwatch.listeners.StreamwatchListener;
import io.streamwatch.listeners.StreamwatchSettings;
import io.streamwatch.testkit.EmbeddedKafka;
import io.streamwatch.testkit.ForeignJob;
import io.streamwatch.testkit.LocalPushgateway;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.OptionalDouble;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * What a user checks after spark-submit on a cluster: the jobs exit 0, their tasks ran on the Worker's
 * executors, the Delta tables hold the rows, and the Pushgateway holds the values, with the listeners
 * attached by --conf alone. Client mode for both scenarios, cluster mode for one job (and its failure check).
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class SparkSubmitOnClusterTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    static Path dir;
    static StandaloneCluster cluster;
    static LocalPushgateway pushgateway;
    static EmbeddedKafka kafka;
    static Path appJar;
    static String submitJars;

    @BeforeAll
    static void start() throws IOException {
        Path target = Path.of("target").toAbsolutePath();
        appJar = Path.of(System.getProperty("streamwatch.jobs.jar"));
        assertTrue(Files.exists(appJar), "the shaded jobs jar is built first: " + appJar);
        try (Stream<Path> jars = Files.list(target.resolve("submit-jars"))) {
            submitJars = jars.map(Path::toString).sorted().collect(Collectors.joining(","));
        }
        pushgateway = LocalPushgateway.start(dir.resolve("pushgateway"));
        kafka = EmbeddedKafka.start(dir.resolve("kafka"));
        cluster = new StandaloneCluster(target.resolve("spark-home"), Files.createDirectories(dir.resolve("cluster")));
    }

    @AfterAll
    static void stop() {
        for (AutoCloseable closeable : new AutoCloseable[] {cluster, kafka, pushgateway}) {
            try {
                if (closeable != null) {
                    closeable.close();
                }
            } catch (Exception e) {
                // keep closing the others
            }
        }
    }

    private static StandaloneCluster.Submission clientMode(Class<?> job, List<String> confs, String... args) {
        List<String> options = new ArrayList<>(List.of("--deploy-mode", "client", "--jars", submitJars));
        for (String conf : confs) {
            options.add("--conf");
            options.add(conf);
        }
        StandaloneCluster.Submission submission = cluster.submit(options, appJar, job.getName(), List.of(args));
        assertEquals(0, submission.exitCode(), () -> job.getSimpleName() + " failed:\n" + tail(submission.output()));
        return submission;
    }

    private static List<String> listeners(Class<?>... classes) {
        return List.of("spark.sql.streaming.streamingQueryListeners=" + Stream.of(classes).map(Class::getName).collect(Collectors.joining(",")),
                "spark.streamwatch.pushgateway.address=" + pushgateway.address(),
                "spark.streamwatch.metrics.naming=visits"); // the visits demos' metric names, as the jobs' own listeners
    }

    @Test
    @Order(1)
    void theLagScenarioRunsOnTheClusterWithTheListenerAttachedByConfAlone() throws IOException {
        String table = dir.resolve("visits").toString();
        clientMode(CreateVisitsTable.class, List.of(), "--path", table);
        clientMode(WriteVisits.class, List.of(), "--path", table, "--pushgateway", pushgateway.address());
        clientMode(ConsumeVisits.class, listeners(ReaderVersionListener.class), "--path", table,
                "--checkpoint", dir.resolve("checkpoint").toString(), "--quiet");

        assertEquals(9, DeltaRows.count(Path.of(table)));
        Map<String, String> ofTable = Map.of("table", "file:" + table);
        assertEquals(3, pushgateway.value(WriteVisits.WRITER_VERSION, ofTable).orElseThrow());
        assertEquals(3, pushgateway.value(ReaderVersionListener.READER_VERSION, ofTable).orElseThrow());
        assertEquals(0, pushgateway.value(ReaderVersionListener.LAG_VERSIONS, ofTable).orElseThrow());
        assertTasksRanOnTheWorker();
    }

    @Test
    @Order(2)
    void theSlaScenarioRunsOnTheClusterAndItsBatchDurationsArePushed() throws Exception {
        String table = dir.resolve("synced_visits").toString();
        clientMode(GenerateVisits.class, List.of(), "--bootstrap-servers", kafka.bootstrapServers(), "--count", "60",
                "--rate", "0", "--malformed-ratio", "0.1");
        CompletableFuture<StandaloneCluster.Submission> sync = CompletableFuture.supplyAsync(() -> clientMode(SyncVisitsToDelta.class,
                listeners(BatchDurationListener.class, KafkaLagListener.class, QueryHealthListener.class),
                "--bootstrap-servers", kafka.bootstrapServers(), "--path", table, "--checkpoint", dir.resolve("sync-checkpoint").toString(),
                "--available-now", "--max-offsets-per-trigger", "20", "--batch-delay", "3s"));

        OptionalDouble duration = await().atMost(Duration.ofMinutes(3)).pollInterval(Duration.ofMillis(200)).until(
                () -> pushgateway.value(BatchDurationListener.DURATION_MILLIS, Map.of("job", SyncVisitsToDelta.QUERY_NAME)),
                OptionalDouble::isPresent);
        assertTrue(duration.getAsDouble() >= 3_000, "a batch with a 3 s delay: " + duration);
        sync.get();

        assertEquals(54, DeltaRows.count(Path.of(table)));
        assertEquals(6, DeltaRows.count(Path.of(table + "_quarantine")));
        assertFalse(pushgateway.value(BatchDurationListener.DURATION_MILLIS, Map.of("job", SyncVisitsToDelta.QUERY_NAME)).isPresent(),
                "the graceful end of --available-now removed the series");
        assertTasksRanOnTheWorker();
    }

    @Test
    @Order(3)
    void inClusterModeTheDriverRunsOnTheWorkerAndItsFailureIsReadFromTheMaster() {
        String table = dir.resolve("visits").toString();
        String opens = System.getProperty("streamwatch.java.opens");
        List<String> clusterMode = List.of("--deploy-mode", "cluster", "--jars", submitJars,
                "--conf", "spark.standalone.submit.waitAppCompletion=true",
                "--conf", "spark.driver.extraJavaOptions=" + opens);

        StandaloneCluster.Submission read = cluster.submit(clusterMode, appJar, ReadVisits.class.getName(), List.of("--path", table));
        StandaloneCluster.Submission missing = cluster.submit(clusterMode, appJar, ReadVisits.class.getName(),
                List.of("--path", dir.resolve("no-such-table").toString()));

        assertEquals(0, read.exitCode(), tail(read.output()));
        assertEquals(0, missing.exitCode(), "spark-submit exits 0 even when a cluster-mode driver fails");
        List<String> driverStates = new ArrayList<>();
        await().atMost(Duration.ofSeconds(30)).until(() -> {
            driverStates.clear();
            cluster.masterJson().path("completeddrivers").forEach(driver -> driverStates.add(driver.path("state").asText()));
            return driverStates.size() == 2;
        });
        assertEquals(List.of("FINISHED", "FAILED"), driverStates.stream().sorted(java.util.Comparator.reverseOrder()).toList(),
                "the Master knows which driver failed");
        assertTrue(driverLogs().anyMatch(log -> log.contains("ReadVisits: no Delta table at path")),
                "the failed driver's one-line error is in its stderr on the Worker");
    }

    /**
     * The product as a user meets it: their own job, which knows nothing of streamwatch, and the listener from its
     * Maven coordinates ({@code --packages}, resolved by spark-submit from the local Maven repository the build
     * installed it into) attached by {@code --conf} alone.
     */
    @Test
    @Order(4)
    void aForeignJobGetsItsSignalsFromTheListenerResolvedByPackages() throws Exception {
        Path work = Files.createDirectories(dir.resolve("foreign"));
        String sparkJars;
        try (Stream<Path> jars = Files.list(cluster.sparkHome.resolve("jars"))) {
            sparkJars = jars.map(Path::toString).collect(Collectors.joining(java.io.File.pathSeparator));
        }
        Path app = ForeignJob.jar(ForeignJob.compile(sparkJars, work), work.resolve("foreign-job.jar"));
        String coordinates = "io.streamwatch:streamwatch-listeners_2.12:" + System.getProperty("streamwatch.version");
        List<String> options = List.of("--deploy-mode", "client", "--jars", submitJars, "--packages", coordinates,
                "--conf", "spark.sql.streaming.streamingQueryListeners=" + StreamwatchListener.class.getName(),
                "--conf", StreamwatchSettings.PUSHGATEWAY_ADDRESS + "=" + pushgateway.address(),
                "--conf", StreamwatchSettings.JOB + "=foreign_on_cluster");
        CompletableFuture<StandaloneCluster.Submission> foreign = CompletableFuture.supplyAsync(() ->
                cluster.submit(options, app, ForeignJob.MAIN_CLASS, List.of(work.toString(), "delta")));

        Map<String, String> query = Map.of("job", "foreign_on_cluster", "query", "orders_from_delta");
        await().atMost(Duration.ofMinutes(3)).pollInterval(Duration.ofMillis(500)).failFast(foreign::isDone).until(() ->
                pushgateway.value(io.streamwatch.listeners.MetricNaming.STREAMWATCH.readerVersion(), query).orElse(-1) == 2
                        && pushgateway.value(QueryHealthListener.UP, query).orElse(0) == 1
                        && pushgateway.metrics().samples().stream().anyMatch(s -> s.matches(QueryStatusListener.STATUS, query)));
        Files.createFile(work.resolve("stop"));
        StandaloneCluster.Submission submission = foreign.get(2, java.util.concurrent.TimeUnit.MINUTES);

        assertEquals(0, submission.exitCode(), () -> tail(submission.output()));
        assertTrue(submission.output().contains("found " + coordinates.replaceFirst(":", "#").replaceFirst(":", ";") + " in local-m2-cache"),
                () -> "spark-submit resolved the listener from the local Maven repository:\n" + tail(submission.output()));
        assertFalse(pushgateway.value(QueryHealthListener.UP, query).isPresent(), "the graceful stop removed the running series");
        assertTasksRanOnTheWorker();
    }

    /**
     * The alarms job through spark-submit on a cluster of two Workers, alarming metrics flowing, the second Worker
     * SIGKILLed (with its executor) mid-stream: the job goes on with the first, every alarm is delivered once and
     * recorded once, and a SIGTERM ends it with exit 0. In the slow suite (1.5 to 2 minutes, each engine).
     */
    @Tag("slow")
    @Test
    @Order(5)
    void theAlarmsJobLosesNoAlarmAndRecordsNoneTwiceWhenAWorkerIsKilledMidStream() throws Exception {
        alarmsJobWithAWorkerKilledMidStream(Alarms.CONSUMER);
    }

    /** The same with the micro-batch engine, whose matching runs on the executors. */
    @Tag("slow")
    @Test
    @Order(6)
    void theMicroBatchEngineLosesNoAlarmAndRecordsNoneTwiceWhenAWorkerIsKilledMidStream() throws Exception {
        alarmsJobWithAWorkerKilledMidStream(Alarms.MICRO_BATCH);
    }

    private void alarmsJobWithAWorkerKilledMidStream(String engine) throws Exception {
        String rules = "cluster_rules_" + engine;
        String metrics = "cluster_metrics_" + engine;
        KafkaTopics.ensureRules(kafka.bootstrapServers(), rules);
        KafkaTopics.ensureMetrics(kafka.bootstrapServers(), metrics);
        Path secondWorkerDir = Files.createDirectories(dir.resolve("cluster").resolve("worker-" + engine));
        Process secondWorker = cluster.addWorker("worker-" + engine, secondWorkerDir);
        String table = dir.resolve("cluster_alarms_" + engine).toString();
        AtomicLong produced = new AtomicLong();
        AtomicBoolean producing = new AtomicBoolean(true);
        try (WebhookReceiver discord = WebhookReceiver.discord()) {
            Rule rule = new Rule("w1", "load", 0, discord.url("/api/webhooks/1/t0ken"), Operator.GREATER, 0, false);
            kafka.sendKeyed(rules, List.of(Map.entry(rule.id(), rule.toJson().toString())));
            Path log = dir.resolve("alarms-submit-" + engine + ".log");
            Process job = cluster.startSubmit(List.of("--deploy-mode", "client", "--jars", submitJars), appJar, Alarms.class.getName(),
                    List.of("--bootstrap-servers", kafka.bootstrapServers(), "--metrics-topic", metrics, "--rules-topic", rules,
                            "--checkpoint", dir.resolve("alarms-checkpoint-" + engine).toString(), "--alarms-path", table,
                            "--allowed-webhook-prefixes", discord.url("/api/webhooks/"), "--pushgateway", pushgateway.address(),
                            "--starting-offsets", "earliest", "--delivery-grace", "5s", "--engine", engine),
                    log);
            Thread producer = new Thread(() -> {
                try (KafkaProducer<String, String> records = new KafkaProducer<>(Map.of("bootstrap.servers", kafka.bootstrapServers()),
                        new StringSerializer(), new StringSerializer())) {
                    while (producing.get()) {
                        records.send(new ProducerRecord<>(metrics, "load", "{\"value\": " + produced.incrementAndGet() + "}")).get();
                        Thread.sleep(20); // 50 alarming metrics a second
                    }
                } catch (Exception e) {
                    producing.set(false);
                }
            }, "metrics");
            producer.start();
            try {
                // Both Workers' executors have run tasks of the job before one of them goes.
                await().atMost(Duration.ofMinutes(3)).until(() -> discord.accepted().size() >= 100 && ranTasks(secondWorkerDir) || !job.isAlive());
                assertTrue(job.isAlive(), () -> tail(read(log)));
                int beforeKill = discord.accepted().size();
                secondWorker.descendants().forEach(ProcessHandle::destroyForcibly);
                secondWorker.destroyForcibly(); // SIGKILL: the Worker and its executor gone at once
                secondWorker.waitFor();
                await().atMost(Duration.ofMinutes(2)).until(() -> discord.accepted().size() >= beforeKill + 200 || !job.isAlive());
                assertTrue(job.isAlive(), () -> "the job went on without the second Worker:\n" + tail(read(log)));
            } finally {
                producing.set(false);
                producer.join(10_000);
            }
            long total = produced.get();
            await().atMost(Duration.ofMinutes(2)).until(() -> discord.accepted().size() >= total && DeltaRows.count(Path.of(table)) >= total);
            job.destroy(); // SIGTERM: a graceful stop
            assertTrue(job.waitFor(90, java.util.concurrent.TimeUnit.SECONDS));
            assertEquals(0, job.exitValue(), () -> tail(read(log)));
            Files.copy(log, Path.of("target", log.getFileName().toString()), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            assertTrue(read(log).contains("Lost executor"), "the driver lost the second Worker's executor");

            List<Long> delivered = discord.accepted().stream()
                    .map(d -> (long) Double.parseDouble(d.body().get("embeds").get(0).get("fields").get(2).get("value").asText())).toList();
            assertEquals(total, delivered.stream().distinct().count(), "every alarm delivered");
            assertEquals(total, delivered.size(), "none twice: the driver never crashed");
            SparkSession reader = SparkSessions.getOrCreate("cluster-test-reader");
            List<org.apache.spark.sql.Row> recorded = reader.read().format("delta").load(table).select("offset", "partition").collectAsList();
            assertEquals(total, recorded.size(), "every alarm recorded");
            assertEquals(total, recorded.stream().map(r -> r.get(1) + ":" + r.get(0)).distinct().count(), "none recorded twice");
        }
    }

    private static boolean ranTasks(Path workerDir) throws IOException {
        try (Stream<Path> files = Files.walk(workerDir)) {
            return files.filter(p -> p.getFileName().toString().equals("stderr")).anyMatch(p -> read(p).contains("Finished task"));
        }
    }

    private static void assertTasksRanOnTheWorker() throws IOException {
        JsonNode apps = cluster.masterJson().path("completedapps");
        assertTrue(apps.size() > 0, "the Master lists the applications");
        apps.forEach(app -> assertEquals("FINISHED", app.path("state").asText(), app.toString()));
        try (Stream<Path> files = Files.walk(cluster.workerDir)) {
            long executorLogsWithTasks = files.filter(p -> p.getFileName().toString().equals("stderr"))
                    .filter(p -> p.getParent().getParent().getFileName().toString().startsWith("app-"))
                    .filter(p -> read(p).contains("Finished task")).count();
            assertTrue(executorLogsWithTasks > 0, "executors on the Worker ran tasks");
        }
    }

    private static Stream<String> driverLogs() {
        try {
            return Files.walk(cluster.workerDir).filter(p -> p.getFileName().toString().equals("stderr"))
                    .filter(p -> p.getParent().getFileName().toString().startsWith("driver-")).map(SparkSubmitOnClusterTest::read).toList().stream();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String read(Path file) {
        try {
            return Files.readString(file);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String tail(String output) {
        List<String> lines = output.lines().toList();
        return String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size()));
    }
}
