package io.streamwatch.jobs.bench;

import io.streamwatch.jobs.common.Jobs;
import io.streamwatch.jobs.common.SparkSessions;
import io.streamwatch.jobs.notify.NotifyChanges;

import static org.awaitility.Awaitility.await;

import io.streamwatch.jobs.common.Jobs;
import io.streamwatch.jobs.notify.NotifyChanges;
import io.streamwatch.jobs.common.SparkSessions;
import io.streamwatch.testkit.Figures;
import io.streamwatch.testkit.LocalPushgateway;
import io.streamwatch.testkit.NovuReceiver;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * NotifyChanges' delivery rate, one trigger per request against bulk requests of up to 100, side by side in one
 * run: 500 inserts committed at once, delivered to a local Novu peer answering every request after a 20 ms round
 * trip (about a cloud API's), three interleaved runs of each. Measured from the first request to the last trigger
 * Novu processed, so Spark's start is left out. Run with {@code mvn -Pbenchmark verify}.
 */
@Tag("benchmark")
class NotifyChangesBenchmark {
    private static final int CHANGES = 500;
    private static final int RUNS = 3;
    private static final String KEY = "bench-key";

    @TempDir
    Path dir;

    @Test
    void singleAgainstBulkTriggers() throws Exception {
        SparkSession spark = SparkSessions.getOrCreate("benchmark");
        ExecutorService background = Executors.newSingleThreadExecutor();
        try (LocalPushgateway pushgateway = LocalPushgateway.start(dir.resolve("pushgateway"))) {
            List<Long> single = new ArrayList<>();
            List<Long> bulk = new ArrayList<>();
            for (int run = 0; run < RUNS; run++) {
                single.add(deliver(spark, background, pushgateway, "single-" + run, 1_000));
                bulk.add(deliver(spark, background, pushgateway, "bulk-" + run, 10));
            }
            double singleRate = CHANGES / (Figures.median(single) / 1e9);
            double bulkRate = CHANGES / (Figures.median(bulk) / 1e9);
            Figures.print("NotifyChanges delivery, " + CHANGES + " inserts in one commit, Novu peer answering after 20 ms, median of "
                            + RUNS + " interleaved runs",
                    String.format("%-28s %14s %14s", "", "changes/s", "delivery"),
                    String.format("%-28s %14.0f %14s", "one trigger per request", singleRate, Figures.millis(Figures.median(single))),
                    String.format("%-28s %14.0f %14s", "bulk (100 per request)", bulkRate, Figures.millis(Figures.median(bulk))),
                    String.format("bulk / single: %.1fx", bulkRate / singleRate),
                    "runs single (ms): " + single.stream().map(n -> n / 1_000_000).toList(),
                    "runs bulk (ms): " + bulk.stream().map(n -> n / 1_000_000).toList());
        } finally {
            background.shutdownNow();
        }
    }

    /** Nanoseconds from Novu's first request to its last processed trigger. */
    private long deliver(SparkSession spark, ExecutorService background, LocalPushgateway pushgateway, String name, int bulkFrom)
            throws Exception {
        String table = dir.resolve(name).toString();
        spark.sql("CREATE TABLE delta.`" + table + "` (id BIGINT, item STRING) USING delta TBLPROPERTIES ('delta.enableChangeDataFeed' = 'true')");
        spark.sql("INSERT INTO delta.`" + table + "` SELECT id, 'item' FROM range(" + CHANGES + ")");
        try (NovuReceiver novu = new NovuReceiver(KEY)) {
            novu.delay(Duration.ofMillis(20));
            Map<String, String> environment = Map.of("NOVU_API_KEY", KEY, "NOVU_WORKFLOW_NAME", "bench", "NOVU_RECIPIENTS", "ops",
                    "NOVU_URL", novu.url(), "ALERT_TABLE", table);
            Future<Integer> job = background.submit(() -> Jobs.execute(new NotifyChanges(environment), "--checkpoint",
                    dir.resolve("checkpoint-" + name).toString(), "--starting-version", "0", "--bulk-from", String.valueOf(bulkFrom),
                    "--pushgateway", pushgateway.address()));
            await().atMost(Duration.ofMinutes(5)).until(() -> novu.triggers().size() == CHANGES);
            SparkSessions.activeQuery(spark, NotifyChanges.QUERY_NAME).ifPresent(SparkSessions::stop);
            job.get(60, TimeUnit.SECONDS);
            long first = novu.requests().get(0).receivedAtMillis();
            long last = novu.triggers().get(CHANGES - 1).receivedAtMillis();
            return (last - first + 20) * 1_000_000L;
        }
    }
}
