package io.streamwatch.demo;

import static io.streamwatch.demo.Demo.job;
import static io.streamwatch.demo.Demo.step;
import static io.streamwatch.demo.PushgatewayView.format;

import io.streamwatch.jobs.common.Jobs;
import io.streamwatch.jobs.common.SparkSessions;
import io.streamwatch.jobs.sla.GenerateVisits;
import io.streamwatch.jobs.sla.SyncVisitsToDelta;
import io.streamwatch.listeners.BatchDurationListener;
import io.streamwatch.listeners.KafkaLagListener;
import io.streamwatch.listeners.QueryHealthListener;
import io.streamwatch.testkit.PrometheusText;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.streaming.StreamingQuery;

/**
 * The SLA scenario: generate visits into Kafka, synchronize them with a 15 s latency per
 * micro-batch (durations above the 14,000 ms SLA, the heartbeat showing the running batch), then without it
 * (durations back below).
 */
final class SlaScenario {

    private final PushgatewayView pushgateway;
    private final AlertView alerts;
    private final long slaMillis;
    private final String bootstrapServers;
    private final String table;
    private final String checkpoint;

    SlaScenario(Path dir, PushgatewayView pushgateway, AlertView alerts, long slaMillis, String bootstrapServers) {
        this.pushgateway = pushgateway;
        this.alerts = alerts;
        this.slaMillis = slaMillis;
        this.bootstrapServers = bootstrapServers;
        this.table = dir.resolve("synced_visits").toString();
        this.checkpoint = dir.resolve("checkpoints/visits_to_delta_synchronizer").toString();
    }

    void run() throws Exception {
        step("1. Generate 300 visits into Kafka topic visits (GenerateVisits, 2 partitions, 3% malformed)");
        job(new GenerateVisits(), "--bootstrap-servers", bootstrapServers, "--count", "300", "--rate", "0", "--malformed-ratio", "0.03");

        step("2. Synchronize with --batch-delay 15s (a sleep in each batch): every micro-batch misses the " + slaMillis + " ms SLA"
                + "\n   (a run's first, cold batch is held to first_batch_seconds instead, 20 s in the fast profile)");
        synchronize("15s", (batches, kafkaLag) -> batches >= 3 && kafkaLag == 0);

        step("3. 100 more visits; delay removed: the synchronizer catches up, durations back below the SLA");
        job(new GenerateVisits(), "--bootstrap-servers", bootstrapServers, "--count", "100", "--rate", "0");
        synchronize("0s", (batches, kafkaLag) -> batches >= 1 && kafkaLag == 0);
        long synced = SparkSessions.getOrCreate("demo").read().format("delta").load(table).count();
        long quarantined = SparkSessions.getOrCreate("demo").read().format("delta").load(table + "_quarantine").count();
        System.out.printf("   %s holds %d visits; %d malformed records quarantined with their reason%n", table, synced, quarantined);
    }

    /** When to stop a run: given the micro-batches that read visits so far and the Kafka lag pushed. */
    private interface Done {
        boolean test(long batchesWithVisits, double kafkaLag);
    }

    /** Runs the synchronizer until {@code done}, printing what the Pushgateway shows as it changes. */
    private void synchronize(String batchDelay, Done done) throws Exception {
        ExecutorService background = Executors.newSingleThreadExecutor();
        try {
            Future<Integer> sync = background.submit(() -> Jobs.execute(new SyncVisitsToDelta(),
                    "--bootstrap-servers", bootstrapServers, "--path", table, "--checkpoint", checkpoint,
                    "--pushgateway", pushgateway.address(), "--trigger-interval", "5s", "--batch-delay", batchDelay,
                    "--heartbeat-interval", "1s", "--max-offsets-per-trigger", "100"));
            StreamingQuery query = awaitQuery();
            String lastLine = "";
            long runStart = System.currentTimeMillis();
            boolean finished = false;
            while (!finished && !sync.isDone()) {
                TimeUnit.SECONDS.sleep(1);
                long batches = Arrays.stream(query.recentProgress()).filter(p -> p.numInputRows() > 0).count();
                PrometheusText metrics = pushgateway.metrics();
                String line = describe(metrics) + " | alerts: SLA miss " + shortState("SlaMissVisitsSynchronizer", runStart)
                        + ", stall " + shortState("StreamwatchBatchStalled", runStart);
                if (!line.equals(lastLine)) {
                    System.out.println("   " + line);
                    lastLine = line;
                }
                finished = done.test(batches, kafkaLag(metrics));
            }
            query.stop();
            int exitCode = sync.get(60, TimeUnit.SECONDS);
            if (exitCode != 0) {
                throw new IllegalStateException("SyncVisitsToDelta failed with exit code " + exitCode);
            }
            System.out.println("   query stopped gracefully: the Pushgateway no longer holds its series ("
                    + format(pushgateway.value(BatchDurationListener.DURATION_MILLIS, Map.of())) + ")");
        } finally {
            background.shutdownNow();
        }
    }

    private String shortState(String alert, long sinceMillis) {
        String state = alerts.state(alert, sinceMillis);
        return state.startsWith("(") ? "-" : state.substring(0, state.indexOf(' '));
    }

    private String describe(PrometheusText metrics) {
        OptionalDouble duration = metrics.value(BatchDurationListener.DURATION_MILLIS, Map.of());
        String sla = duration.isEmpty() ? "" : duration.getAsDouble() > slaMillis ? " ABOVE the SLA" : " within the SLA";
        OptionalDouble running = metrics.value(QueryHealthListener.RUNNING_BATCH_SECONDS, Map.of());
        String runningSeconds = running.isEmpty() ? "-" : String.valueOf(5 * (long) (running.getAsDouble() / 5));
        return String.format("batch running for %3s s | last batch %6s ms%s | Kafka lag %s",
                running.isEmpty() ? "-" : ">=" + runningSeconds, format(duration), sla, format(OptionalDouble.of(kafkaLag(metrics))));
    }

    private static double kafkaLag(PrometheusText metrics) {
        return metrics.samples().stream().filter(s -> s.name().equals(KafkaLagListener.LAG)).mapToDouble(PrometheusText.Sample::value).sum();
    }

    private static StreamingQuery awaitQuery() throws InterruptedException {
        SparkSession spark = SparkSessions.getOrCreate("demo");
        for (int i = 0; i < 600; i++) {
            Optional<StreamingQuery> query = SparkSessions.activeQuery(spark, SyncVisitsToDelta.QUERY_NAME);
            if (query.isPresent()) {
                return query.get();
            }
            TimeUnit.MILLISECONDS.sleep(100);
        }
        throw new IllegalStateException("the synchronizer did not start within 60 s");
    }
}
