package io.streamwatch.alerting;


import io.streamwatch.jobs.lag.ConsumeVisits;
import io.streamwatch.jobs.visits.CreateVisitsTable;
import io.streamwatch.jobs.common.Jobs;
import io.streamwatch.jobs.common.SparkSessions;
import io.streamwatch.jobs.lag.WriteVisits;
import io.streamwatch.testkit.Figures;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Detection latency (the lag condition true, i.e. the writer's version delivered to the Pushgateway, until
 * the webhook receives the firing alert, minus {@code for}) and resolution latency (the consumer's version
 * delivered until the webhook receives the resolution), over 5 runs in the fast profile.
 * Run with {@code mvn -Pbenchmark verify}.
 */
@Tag("benchmark")
class AlertLatencyBenchmark {
    private static final int RUNS = 5;

    @TempDir
    Path dir;

    @Test
    void lagAlertDetectionAndResolution() {
        SparkSessions.getOrCreate("benchmark");
        try (LocalAlertingStack stack = new LocalAlertingStack(dir)) {
            String table = dir.resolve("visits").toString();
            String[] write = {"--path", table, "--pushgateway", stack.pushgateway.address()};
            String[] consume = {"--path", table, "--checkpoint", dir.resolve("checkpoint").toString(),
                "--pushgateway", stack.pushgateway.address(), "--quiet"};
            Jobs.execute(new CreateVisitsTable(), "--path", table);
            Jobs.execute(new ConsumeVisits(), consume);
            double forMillis = stack.seconds("lag_for") * 1000;
            List<Long> detection = new ArrayList<>();
            List<Long> resolution = new ArrayList<>();
            for (int run = 0; run < RUNS; run++) {
                Jobs.execute(new WriteVisits(), write); // returns once the writer's version reached the Pushgateway
                long conditionTrue = System.currentTimeMillis();
                long fired = await(stack, LocalAlertingStack.WEBHOOK_PATH, "firing", conditionTrue);
                detection.add((long) (fired - conditionTrue - forMillis));
                Jobs.execute(new ConsumeVisits(), consume); // returns once the reader's version reached the Pushgateway
                long conditionFalse = System.currentTimeMillis();
                long resolved = await(stack, LocalAlertingStack.WEBHOOK_PATH, "resolved", conditionFalse);
                resolution.add(resolved - conditionFalse);
            }
            System.out.println();
            System.out.println("BENCHMARK alert latency, fast profile (scrape " + stack.config.value("scrape_interval")
                    + ", evaluation " + stack.config.value("evaluation_interval") + ", for " + stack.config.value("lag_for")
                    + ", Alertmanager group_wait " + stack.config.value("group_wait") + ", group_interval " + stack.config.value("group_interval")
                    + "), " + RUNS + " runs of the lag scenario with the real jobs");
            System.out.println("  detection (condition true -> webhook firing, minus for): median " + median(detection) + " ms, max "
                    + Collections.max(detection) + " ms; runs " + detection);
            System.out.println("  resolution (condition false -> webhook resolved):       median " + median(resolution) + " ms, max "
                    + Collections.max(resolution) + " ms; runs " + resolution);
        }
    }

    private static long await(LocalAlertingStack stack, String path, String status, long since) {
        return org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(20))
                .until(() -> stack.webhook.first(path, AlertsEndToEndTest.LAG, status, since), Optional::isPresent)
                .orElseThrow().receivedAtMillis();
    }

    private static long median(List<Long> values) {
        return (long) Figures.median(values);
    }
}
