package io.streamwatch.alerting;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.streamwatch.jobs.lag.ConsumeVisits;
import io.streamwatch.jobs.visits.CreateVisitsTable;
import io.streamwatch.jobs.sla.GenerateVisits;
import io.streamwatch.jobs.common.Jobs;
import io.streamwatch.jobs.common.SparkSessions;
import io.streamwatch.jobs.sla.SyncVisitsToDelta;
import io.streamwatch.jobs.lag.WriteVisits;
import io.streamwatch.testkit.ChildJvm;
import io.streamwatch.testkit.EmbeddedKafka;
import io.streamwatch.testkit.Figures;
import io.streamwatch.testkit.LocalPushgateway;
import io.streamwatch.testkit.WebhookReceiver.Delivery;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.TreeSet;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * How fast each kind of fault is caught and cleared, and which faults must raise nothing: the real jobs against the
 * local alerting stack in the fast profile, one fault at a time, {@value #RUNS} runs each. Detection is measured from
 * the moment the fault starts (the command that causes it) until Alertmanager's webhook receives the firing alert,
 * resolution from the moment the recovery starts until it receives the resolution; both include the rule's
 * {@code for}. Prints a table. Run with {@code mvn -Pbenchmark verify -pl alerting -am -Dtest=FaultMatrixBenchmark}.
 */
@Tag("benchmark")
class FaultMatrixBenchmark {
    private static final int RUNS = 3;
    private static final Duration QUIET = Duration.ofSeconds(20);

    @TempDir
    Path dir;

    private StackPipelines pipelines;
    private LocalAlertingStack stack;
    private EmbeddedKafka kafka;
    private final List<Fault> faults = new ArrayList<>();

    /** One fault's figures over its runs, and every other alert that fired meanwhile. */
    private record Fault(String name, String alert, List<Long> detection, List<Long> resolution, TreeSet<String> alsoFired) {
        Fault(String name, String alert) {
            this(name, alert, new ArrayList<>(), new ArrayList<>(), new TreeSet<>());
        }
    }

    @Test
    void everyFaultOneAtATime() throws Exception {
        pipelines = new StackPipelines(dir);
        stack = pipelines.stack;
        kafka = pipelines.kafka;
        LocalPushgateway restarted = null;
        try {
            long timelineStart = System.currentTimeMillis();
            consumerBehindItsTable();
            slowBatches();
            aBatchThatHangs();
            new Timeline(stack.prometheus, timelineStart, System.currentTimeMillis())
                    .render(Double.parseDouble(stack.config.value("sla_millis")), AlertingConfig.repository().resolve("docs/timeline.png"));
            aFirstBatchThatHangs();
            consumerBehindInSeconds();
            aQueryThatFails();
            aBacklogGrowingFasterThanItDrains();
            lateData();
            aDriverKilled();
            aRedeploy();
            anIdleQuery();
            restarted = thePushgatewayDown();
        } finally {
            report();
            if (restarted != null) {
                restarted.close();
            }
            pipelines.close();
        }
    }

    private void consumerBehindItsTable() {
        Fault fault = new Fault("consumer behind its table (3 versions)", AlertsEndToEndTest.LAG);
        String[] write = pipelines.writer();
        String[] consume = pipelines.consumer("consumer-checkpoint");
        StackPipelines.run(new CreateVisitsTable(), "--path", pipelines.visitsTable());
        StackPipelines.run(new WriteVisits(), write);
        StackPipelines.run(new ConsumeVisits(), consume);
        for (int i = 0; i < RUNS; i++) {
            awaitInactive(fault.alert());
            long start = System.currentTimeMillis();
            StackPipelines.run(new WriteVisits(), write);
            fault.detection().add(firedAt(fault, start) - start);
            long recovery = System.currentTimeMillis();
            StackPipelines.run(new ConsumeVisits(), consume);
            fault.resolution().add(resolvedAt(fault, recovery) - recovery);
        }
    }

    /**
     * A running consumer whose next trigger is a day away (its first batch read what was there; Spark aligns
     * processing-time triggers to multiples of the interval, so a shorter one may fall due mid-run): the new commit
     * waits, and its wait is the lag in seconds.
     */
    private void consumerBehindInSeconds() throws Exception {
        Fault fault = new Fault("consumer behind its table (a commit waiting " + stack.config.value("lag_seconds_above") + " s)",
                "VisitsConsumerLagSeconds");
        String[] write = pipelines.writer();
        org.apache.spark.sql.SparkSession spark = pipelines.spark();
        String[] consume = pipelines.consumer("consumer-checkpoint");
        for (int i = 0; i < RUNS; i++) {
            StackPipelines.run(new WriteVisits(), write);
            Future<Integer> slow = pipelines.submit(new ConsumeVisits(), StackPipelines.concat(consume, "--continuous", "--trigger-interval", "24h"));
            await().atMost(Duration.ofMinutes(1)).until(() -> spark.streams().active().length > 0
                    && spark.streams().active()[0].lastProgress() != null && spark.streams().active()[0].lastProgress().numInputRows() > 0);
            awaitInactive(fault.alert());
            long start = System.currentTimeMillis();
            StackPipelines.run(new WriteVisits(), write);
            fault.detection().add(firedAt(fault, start) - start);
            long recovery = System.currentTimeMillis();
            pipelines.stopQueries(slow);
            StackPipelines.run(new ConsumeVisits(), consume);
            fault.resolution().add(resolvedAt(fault, recovery) - recovery);
        }
    }

    private void slowBatches() throws Exception {
        Fault fault = new Fault("SLA miss (batches of 5 s, SLA 3 s)", AlertsEndToEndTest.SLA);
        for (int i = 0; i < RUNS; i++) {
            String topic = "sla_" + i;
            String name = "sla-" + i;
            pipelines.generate(topic, 200);
            awaitInactive(fault.alert());
            long start = System.currentTimeMillis();
            Future<Integer> slow = pipelines.synchronizer(topic, name, "--batch-delay", "5s");
            fault.detection().add(firedAt(fault, start) - start);
            long recovery = System.currentTimeMillis();
            pipelines.stopQueries(slow);
            Future<Integer> prompt = pipelines.synchronizer(topic, name);
            fault.resolution().add(resolvedAt(fault, recovery) - recovery);
            pipelines.stopQueries(prompt);
        }
    }

    /** A healthy synchronizer whose next batch hangs: the fault starts when the records of that batch arrive. */
    private void aBatchThatHangs() throws Exception {
        Fault fault = new Fault("a batch that hangs", AlertsEndToEndTest.STALL);
        for (int i = 0; i < RUNS; i++) {
            String topic = "hang_" + i;
            String name = "hang-" + i;
            pipelines.generate(topic, 20);
            awaitInactive(fault.alert());
            Future<Integer> hanging = pipelines.synchronizer(topic, name, "--batch-delay", "10m", "--delay-from-batch", "1");
            await().atMost(Duration.ofMinutes(1)).until(() -> stack.prometheus.value(
                    "streamwatch_query_warming_up{query=\"" + name + "\"}").orElse(1.0) == 0);
            long start = System.currentTimeMillis();
            pipelines.generate(topic, 20);
            fault.detection().add(firedAt(fault, start) - start);
            long recovery = System.currentTimeMillis();
            pipelines.stopQueries(hanging);
            fault.resolution().add(resolvedAt(fault, recovery) - recovery);
        }
    }

    /** A run whose first batch hangs: held to first_batch_seconds, not to the SLA, so that a redeploy raises nothing. */
    private void aFirstBatchThatHangs() throws Exception {
        Fault fault = new Fault("a run's first batch hangs (bound " + stack.config.value("first_batch_seconds") + " s)",
                AlertsEndToEndTest.STALL);
        for (int i = 0; i < RUNS; i++) {
            String topic = "cold_hang_" + i;
            String name = "cold-hang-" + i;
            pipelines.generate(topic, 20);
            awaitInactive(fault.alert());
            long start = System.currentTimeMillis();
            Future<Integer> hanging = pipelines.synchronizer(topic, name, "--batch-delay", "10m");
            fault.detection().add(firedAt(fault, start) - start);
            long recovery = System.currentTimeMillis();
            pipelines.stopQueries(hanging);
            fault.resolution().add(resolvedAt(fault, recovery) - recovery);
        }
    }

    private void aQueryThatFails() throws Exception {
        Fault fault = new Fault("a query that fails", "StreamwatchQueryDown");
        for (int i = 0; i < RUNS; i++) {
            String topic = "fail_" + i;
            String name = "fail-" + i;
            pipelines.generate(topic, 100);
            awaitInactive(fault.alert());
            long start = System.currentTimeMillis();
            int exitCode = Jobs.execute(new SyncVisitsToDelta(), pipelines.sync(topic, name, "--fail-in-batch", "1"));
            fault.detection().add(firedAt(fault, start) - start);
            long recovery = System.currentTimeMillis();
            Future<Integer> restarted = pipelines.synchronizer(topic, name);
            fault.resolution().add(resolvedAt(fault, recovery) - recovery);
            pipelines.stopQueries(restarted);
            org.junit.jupiter.api.Assertions.assertNotEquals(0, exitCode, "the synchronizer reports its failed query");
        }
    }

    /** Visits arrive at 40/s, the synchronizer takes at most 10 a second: the backlog grows until the producer stops. */
    private void aBacklogGrowingFasterThanItDrains() throws Exception {
        Fault fault = new Fault("Kafka backlog growing faster than it drains", "StreamwatchFallingBehind");
        ExecutorService producer = Executors.newSingleThreadExecutor();
        try {
            for (int i = 0; i < RUNS; i++) {
                String topic = "behind_" + i;
                String name = "behind-" + i;
                pipelines.generate(topic, 10);
                Future<Integer> sync = pipelines.synchronizer(topic, name, "--max-offsets-per-trigger", "10");
                await().atMost(Duration.ofMinutes(1)).until(() -> stack.prometheus.value("streamwatch_query_up{query=\"" + name + "\"}").orElse(0.0) == 1);
                awaitInactive(fault.alert());
                long start = System.currentTimeMillis();
                Future<Integer> visits = producer.submit(() -> Jobs.execute(new GenerateVisits(), "--bootstrap-servers", kafka.bootstrapServers(),
                        "--topic", topic, "--count", "1600", "--rate", "40"));
                fault.detection().add(firedAt(fault, start) - start);
                assertEquals(0, visits.get(2, TimeUnit.MINUTES));
                long recovery = System.currentTimeMillis();
                fault.resolution().add(resolvedAt(fault, recovery) - recovery);
                pipelines.stopQueries(sync);
            }
        } finally {
            producer.shutdownNow();
        }
    }

    /** A watermark query (10 s) over a Delta table; each run appends one event on time, then one a minute late. */
    private void lateData() throws Exception {
        Fault fault = new Fault("late data dropped by a watermark", "StreamwatchLateRows");
        org.apache.spark.sql.SparkSession spark = pipelines.spark();
        String table = dir.resolve("events").toString();
        org.apache.spark.sql.types.StructType schema = new org.apache.spark.sql.types.StructType()
                .add("id", org.apache.spark.sql.types.DataTypes.LongType).add("ts", org.apache.spark.sql.types.DataTypes.TimestampType);
        appendEvent(spark, table, schema, System.currentTimeMillis());
        org.apache.spark.sql.streaming.StreamingQuery query = spark.readStream().format("delta").load(table)
                .withWatermark("ts", "10 seconds").groupBy(org.apache.spark.sql.functions.window(org.apache.spark.sql.functions.col("ts"), "5 seconds"))
                .count().writeStream().queryName("late_data").outputMode("append").format("noop")
                .option("checkpointLocation", dir.resolve("late-data-checkpoint").toString())
                .trigger(org.apache.spark.sql.streaming.Trigger.ProcessingTime(500)).start();
        try {
            for (int i = 0; i < RUNS; i++) {
                awaitInactive(fault.alert());
                long onTime = System.currentTimeMillis();
                appendEvent(spark, table, schema, onTime);
                await().atMost(Duration.ofMinutes(1)).until(() -> query.lastProgress() != null
                        && query.lastProgress().eventTime().containsKey("watermark")
                        && java.time.Instant.parse(query.lastProgress().eventTime().get("watermark")).toEpochMilli() >= onTime - 10_000);
                long start = System.currentTimeMillis();
                appendEvent(spark, table, schema, onTime - 60_000);
                long fired = firedAt(fault, start);
                fault.detection().add(fired - start);
                fault.resolution().add(resolvedAt(fault, fired) - fired);
            }
        } finally {
            SparkSessions.stop(query);
        }
    }

    private static void appendEvent(org.apache.spark.sql.SparkSession spark, String table, org.apache.spark.sql.types.StructType schema, long millis) {
        spark.createDataFrame(List.of(org.apache.spark.sql.RowFactory.create(millis, new java.sql.Timestamp(millis))), schema)
                .coalesce(1).write().format("delta").mode("append").save(table);
    }

    private void aDriverKilled() {
        Fault fault = new Fault("driver killed (SIGKILL): silence", "StreamwatchMetricsStale");
        for (int i = 0; i < RUNS; i++) {
            String topic = "kill_" + i;
            pipelines.generate(topic, 20);
            awaitInactive(fault.alert());
            long start;
            try (ChildJvm driver = pipelines.synchronizerProcess(topic, "kill-" + i)) {
                awaitRunning(driver, "kill-" + i);
                start = System.currentTimeMillis();
                driver.kill();
                fault.detection().add(firedAt(fault, start) - start);
            }
            long recovery = System.currentTimeMillis();
            try (ChildJvm driver = pipelines.synchronizerProcess(topic, "kill-" + i)) {
                fault.resolution().add(resolvedAt(fault, recovery) - recovery);
                driver.terminate();
                driver.awaitExit(Duration.ofSeconds(60));
            }
        }
    }

    private void aRedeploy() {
        Fault fault = new Fault("redeploy (SIGTERM, restart): must raise nothing", null);
        for (int i = 0; i < RUNS; i++) {
            String topic = "redeploy_" + i;
            pipelines.generate(topic, 20);
            try (ChildJvm driver = pipelines.synchronizerProcess(topic, "redeploy-" + i)) {
                awaitRunning(driver, "redeploy-" + i);
                long start = System.currentTimeMillis();
                driver.terminate();
                driver.awaitExit(Duration.ofSeconds(60));
                try (ChildJvm redeployed = pipelines.synchronizerProcess(topic, "redeploy-" + i)) {
                    awaitRunning(redeployed, "redeploy-" + i);
                    watchQuietly(fault, start);
                    redeployed.terminate();
                    redeployed.awaitExit(Duration.ofSeconds(60));
                }
            }
        }
    }

    private void anIdleQuery() throws Exception {
        Fault fault = new Fault("an idle query (nothing arrives): must raise nothing", null);
        String topic = "idle";
        pipelines.generate(topic, 20);
        Future<Integer> idle = pipelines.synchronizer(topic, "idle");
        await().atMost(Duration.ofMinutes(1)).until(() -> stack.prometheus.value("streamwatch_query_up{query=\"idle\"}").orElse(0.0) == 1);
        for (int i = 0; i < RUNS; i++) {
            watchQuietly(fault, System.currentTimeMillis());
        }
        pipelines.stopQueries(idle);
    }

    private LocalPushgateway thePushgatewayDown() {
        Fault fault = new Fault("the Pushgateway down", "PushgatewayDown");
        int port = stack.pushgateway.port();
        LocalPushgateway pushgateway = stack.pushgateway;
        for (int i = 0; i < RUNS; i++) {
            awaitInactive(fault.alert());
            long start = System.currentTimeMillis();
            pushgateway.close();
            fault.detection().add(firedAt(fault, start) - start);
            long recovery = System.currentTimeMillis();
            pushgateway = LocalPushgateway.startOn(port, dir.resolve("pushgateway-" + i));
            fault.resolution().add(resolvedAt(fault, recovery) - recovery);
        }
        return pushgateway;
    }

    private void report() {
        List<String> rows = new ArrayList<>();
        rows.add(String.format("%-52s %-28s %19s %19s  %s", "fault", "alert", "detected: med / max", "resolved: med / max", "also fired"));
        for (Fault fault : faults) {
            if (fault.alert() == null) {
                rows.add(String.format("%-52s %-28s %19s %19s  %s", fault.name(), "(none expected)", "-", "-",
                        fault.alsoFired().isEmpty() ? "nothing" : fault.alsoFired()));
            } else {
                rows.add(String.format("%-52s %-28s %19s %19s  %s", fault.name(), fault.alert(), medianAndMax(fault.detection()),
                        medianAndMax(fault.resolution()), fault.alsoFired().isEmpty() ? "-" : String.join(", ", fault.alsoFired())));
            }
        }
        rows.add("runs (ms): " + faults.stream().filter(f -> f.alert() != null)
                .map(f -> f.alert() + " " + f.detection() + " / " + f.resolution()).toList());
        Figures.print(String.format("fault matrix, fast profile (scrape %s, evaluation %s; for: lag %s, SLA %s, stall %s, stale %s after %s s, "
                        + "Pushgateway down %s, falling behind %s over a 20 s window; late rows over %s), %d runs each; the originals: 2 to 3 minutes",
                stack.config.value("scrape_interval"), stack.config.value("evaluation_interval"), stack.config.value("lag_for"),
                stack.config.value("sla_for"), stack.config.value("stall_for"), stack.config.value("stale_for"), stack.config.value("stale_seconds"),
                stack.config.value("pushgateway_down_for"), stack.config.value("falling_behind_for"), stack.config.value("late_rows_window"), RUNS),
                rows.toArray(String[]::new));
    }

    private static String medianAndMax(List<Long> millis) {
        return millis.isEmpty() ? "-" : String.format("%8.1f / %5.1f s", Figures.median(millis) / 1000,
                millis.stream().mapToLong(Long::longValue).max().orElseThrow() / 1000.0);
    }

    private long firedAt(Fault fault, long since) {
        return deliveredAt(fault, "firing", since);
    }

    private long resolvedAt(Fault fault, long since) {
        return deliveredAt(fault, "resolved", since);
    }

    private long deliveredAt(Fault fault, String status, long since) {
        if (!faults.contains(fault)) {
            faults.add(fault);
        }
        Delivery delivery = await().atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofMillis(50))
                .until(() -> stack.webhook.first(LocalAlertingStack.WEBHOOK_PATH, fault.alert(), status, since), Optional::isPresent)
                .orElseThrow();
        noteOthers(fault, since);
        return delivery.receivedAtMillis();
    }

    /** Watches for {@link #QUIET} after {@code since}: every alert that fires is a false alarm of this fault. */
    private void watchQuietly(Fault fault, long since) {
        if (!faults.contains(fault)) {
            faults.add(fault);
        }
        long until = System.currentTimeMillis() + QUIET.toMillis();
        await().atMost(QUIET.plusSeconds(5)).pollInterval(Duration.ofMillis(500)).until(() -> System.currentTimeMillis() >= until);
        noteOthers(fault, since);
    }

    private void noteOthers(Fault fault, long since) {
        stack.webhook.deliveries().stream()
                .filter(d -> d.path().equals(LocalAlertingStack.WEBHOOK_PATH) && d.receivedAtMillis() >= since && d.status().equals("firing"))
                .flatMap(d -> d.alertNames().stream()).filter(name -> !name.equals(fault.alert())).forEach(fault.alsoFired()::add);
    }

    private void awaitInactive(String alert) {
        await().atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofMillis(200)).until(() -> stack.prometheus.alertState(alert).equals("inactive"));
    }

    private void awaitRunning(ChildJvm driver, String queryName) {
        await().atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofMillis(200)).until(() -> {
            if (!driver.isAlive()) {
                throw new AssertionError("the driver ended: " + driver.logTail(30));
            }
            return stack.prometheus.value("streamwatch_query_up{query=\"" + queryName + "\"}").orElse(0.0) == 1;
        });
    }
}
