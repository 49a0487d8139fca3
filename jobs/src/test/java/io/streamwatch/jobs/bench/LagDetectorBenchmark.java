package io.streamwatch.jobs.bench;

import io.streamwatch.jobs.common.Jobs;
import io.streamwatch.jobs.common.SparkSessions;
import io.streamwatch.jobs.lag.ConsumeVisits;
import io.streamwatch.jobs.lag.WriteVisits;
import io.streamwatch.jobs.visits.CreateVisitsTable;

import io.streamwatch.jobs.lag.ConsumeVisits;
import io.streamwatch.jobs.visits.CreateVisitsTable;
import io.streamwatch.jobs.common.Jobs;
import io.streamwatch.jobs.common.SparkSessions;
import io.streamwatch.jobs.lag.WriteVisits;
import io.streamwatch.listeners.DeltaCommits;
import io.streamwatch.listeners.ReaderVersionListener;
import io.streamwatch.listeners.StreamwatchSettings;
import io.streamwatch.testkit.Figures;
import io.streamwatch.testkit.FreePorts;
import io.streamwatch.testkit.LocalPushgateway;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.delta.DeltaLog;
import org.apache.spark.sql.streaming.StreamingQueryListener;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Figures for the README: the reader-version listener's callback time with the Pushgateway up, down and
 * 2 s late, and the writer-version lookup at 10 and 1,000 commits beside the original's DESCRIBE HISTORY scan.
 * Run with {@code mvn -Pbenchmark verify}.
 */
@Tag("benchmark")
class LagDetectorBenchmark {
    private static final int WARMUP = 5_000;
    private static final int CALLS = 20_000;
    private static final int LOOKUPS = 15;

    @TempDir
    Path dir;

    @Test
    void callbackTime() throws Exception {
        SparkSession spark = SparkSessions.getOrCreate("benchmark");
        String table = dir.resolve("visits").toString();
        try (LocalPushgateway pushgateway = LocalPushgateway.start(dir.resolve("pushgateway"));
             SlowPushgateway slow = new SlowPushgateway(pushgateway.address(), 2_000)) {
            Jobs.execute(new CreateVisitsTable(), "--path", table);
            Jobs.execute(new WriteVisits(), "--path", table, "--pushgateway", pushgateway.address());
            StreamingQueryListener.QueryProgressEvent event = captureProgress(spark, table, pushgateway.address());

            List<String> rows = new ArrayList<>();
            rows.add(String.format("%-24s %10s %10s %10s  (%d calls with a real progress event)", "Pushgateway", "p50", "p99", "max", CALLS));
            for (String[] mode : new String[][] {{"up", pushgateway.address()}, {"down (nothing listens)", "127.0.0.1:" + FreePorts.next()},
                    {"answering 2 s late", slow.address()}}) {
                ReaderVersionListener listener = new ReaderVersionListener(StreamwatchSettings.of(mode[1]));
                List<Long> nanos = new ArrayList<>(CALLS);
                for (int i = 0; i < WARMUP + CALLS; i++) {
                    long start = System.nanoTime();
                    listener.onQueryProgress(event);
                    long took = System.nanoTime() - start;
                    if (i >= WARMUP) {
                        nanos.add(took);
                    }
                }
                rows.add(String.format("%-24s %10s %10s %10s", mode[0], Figures.micros(Figures.median(nanos)),
                        Figures.micros(Figures.percentile(nanos, 99)), Figures.micros(Figures.percentile(nanos, 100))));
            }
            Figures.print("reader-version listener: onQueryProgress time", rows.toArray(String[]::new));
        }
    }

    private static StreamingQueryListener.QueryProgressEvent captureProgress(SparkSession spark, String table, String pushgateway) {
        AtomicReference<StreamingQueryListener.QueryProgressEvent> captured = new AtomicReference<>();
        StreamingQueryListener capture = new StreamingQueryListener() {
            @Override
            public void onQueryStarted(QueryStartedEvent event) {
            }

            @Override
            public void onQueryProgress(QueryProgressEvent event) {
                captured.set(event);
            }

            @Override
            public void onQueryIdle(QueryIdleEvent event) {
            }

            @Override
            public void onQueryTerminated(QueryTerminatedEvent event) {
            }
        };
        spark.streams().addListener(capture);
        Jobs.execute(new ConsumeVisits(), "--path", table, "--checkpoint", table + "-checkpoint", "--pushgateway", pushgateway, "--quiet");
        SparkSessions.awaitListeners(spark, Duration.ofSeconds(10));
        spark.streams().removeListener(capture);
        return captured.get();
    }

    @Test
    void writerVersionLookup() {
        SparkSession spark = SparkSessions.getOrCreate("benchmark");
        String table = dir.resolve("history").toString();
        Jobs.execute(new CreateVisitsTable(), "--path", table);
        List<String> rows = new ArrayList<>();
        rows.add(String.format("%-9s %-44s %12s %12s", "commits", "lookup", "median", "max"));
        // Version 0 is the CREATE TABLE commit; each INSERT adds one.
        int commits = 1;
        for (int target : new int[] {10, 1_000}) {
            for (; commits < target; commits++) {
                spark.sql("INSERT INTO delta.`" + table + "` VALUES ('v" + commits + "', current_timestamp(), 'u', 'index.html')");
            }
            String location = DeltaLog.forTable(spark, table).dataPath().toString();
            rows.add(row(target, "post-commit snapshot (WriteVisits)", () -> DeltaLog.forTable(spark, table).unsafeVolatileSnapshot().version()));
            rows.add(row(target, "_last_checkpoint + probes (reader listener)", () ->
                    DeltaCommits.at(location, spark.sparkContext().hadoopConfiguration()).newest().version()));
            rows.add(row(target, "DeltaLog.update(), fresh DeltaLog", () -> {
                DeltaLog.clearCache();
                return DeltaLog.forTable(spark, table).update(false, scala.Option.empty(), scala.Option.empty()).version();
            }));
            rows.add(row(target, "DESCRIBE HISTORY, max(version) (original)", () ->
                    spark.sql("DESCRIBE HISTORY delta.`" + table + "`").agg(org.apache.spark.sql.functions.max("version")).first().getLong(0)));
        }
        Figures.print("writer-version lookup (" + LOOKUPS + " lookups each)", rows.toArray(String[]::new));
    }

    private static String row(int commits, String lookup, java.util.function.LongSupplier versionLookup) {
        List<Long> nanos = new ArrayList<>();
        for (int i = 0; i < LOOKUPS + 2; i++) {
            long start = System.nanoTime();
            long version = versionLookup.getAsLong();
            long took = System.nanoTime() - start;
            if (version != commits - 1) {
                throw new AssertionError(lookup + " found version " + version + ", expected " + (commits - 1));
            }
            if (i >= 2) {
                nanos.add(took);
            }
        }
        return String.format("%-9d %-44s %12s %12s", commits, lookup, Figures.millis(Figures.median(nanos)),
                Figures.millis(Figures.percentile(nanos, 100)));
    }
}
