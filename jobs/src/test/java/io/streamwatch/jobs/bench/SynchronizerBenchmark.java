package io.streamwatch.jobs.bench;

import io.streamwatch.jobs.common.Jobs;
import io.streamwatch.jobs.common.SparkSessions;
import io.streamwatch.jobs.sla.GenerateVisits;
import io.streamwatch.jobs.sla.SyncVisitsToDelta;

import io.streamwatch.jobs.sla.GenerateVisits;
import io.streamwatch.jobs.common.Jobs;
import io.streamwatch.jobs.common.SparkSessions;
import io.streamwatch.jobs.sla.SyncVisitsToDelta;
import io.streamwatch.testkit.EmbeddedKafka;
import io.streamwatch.testkit.Figures;
import io.streamwatch.testkit.LocalPushgateway;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Synchronizer throughput with its three listeners attached (pushing to a real Pushgateway) and without,
 * runs interleaved in one JVM over the same Kafka data, medians compared. Run with {@code mvn -Pbenchmark verify}.
 */
@Tag("benchmark")
class SynchronizerBenchmark {
    private static final int VISITS = 20_000;
    private static final int RUNS = 5;

    @TempDir
    Path dir;

    @Test
    void throughputWithAndWithoutListeners() {
        SparkSessions.getOrCreate("benchmark");
        try (EmbeddedKafka kafka = EmbeddedKafka.start(dir.resolve("kafka"));
             LocalPushgateway pushgateway = LocalPushgateway.start(dir.resolve("pushgateway"))) {
            Jobs.execute(new GenerateVisits(), "--bootstrap-servers", kafka.bootstrapServers(), "--count", String.valueOf(VISITS),
                    "--rate", "0", "--seed", "1");
            sync(kafka, pushgateway, "warmup", true);
            List<Long> with = new ArrayList<>();
            List<Long> without = new ArrayList<>();
            for (int run = 0; run < RUNS; run++) {
                with.add(sync(kafka, pushgateway, "with-" + run, false));
                without.add(sync(kafka, pushgateway, "without-" + run, true));
            }
            double withRate = VISITS / (Figures.median(with) / 1e9);
            double withoutRate = VISITS / (Figures.median(without) / 1e9);
            Figures.print("synchronizer throughput, " + VISITS + " visits from Kafka into Delta, availableNow, "
                            + "5,000 per micro-batch, median of " + RUNS + " interleaved runs",
                    String.format("%-22s %12s %14s", "", "rows/s", "wall (median)"),
                    String.format("%-22s %12.0f %14s", "with listeners", withRate, Figures.millis(Figures.median(with))),
                    String.format("%-22s %12.0f %14s", "without listeners", withoutRate, Figures.millis(Figures.median(without))),
                    String.format("with / without: %.3f (overhead %.1f%%)", withRate / withoutRate, 100 * (1 - withRate / withoutRate)),
                    "runs with (ms): " + with.stream().map(n -> n / 1_000_000).toList(),
                    "runs without (ms): " + without.stream().map(n -> n / 1_000_000).toList());
        }
    }

    private long sync(EmbeddedKafka kafka, LocalPushgateway pushgateway, String run, boolean noListeners) {
        List<String> args = new ArrayList<>(List.of("--bootstrap-servers", kafka.bootstrapServers(),
                "--path", dir.resolve(run + "/visits").toString(), "--checkpoint", dir.resolve(run + "/checkpoint").toString(),
                "--pushgateway", pushgateway.address(), "--available-now", "--max-offsets-per-trigger", "5000"));
        if (noListeners) {
            args.add("--no-listeners");
        }
        long start = System.nanoTime();
        int exitCode = Jobs.execute(new SyncVisitsToDelta(), args.toArray(String[]::new));
        long took = System.nanoTime() - start;
        if (exitCode != 0) {
            throw new AssertionError("synchronizer run " + run + " failed");
        }
        return took;
    }
}
