package io.streamwatch.alerting;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import io.streamwatch.jobs.lag.ConsumeVisits;
import io.streamwatch.jobs.visits.CreateVisitsTable;
import io.streamwatch.jobs.sla.GenerateVisits;
import io.streamwatch.jobs.lag.WriteVisits;
import io.streamwatch.testkit.Figures;
import io.streamwatch.testkit.WebhookReceiver.Delivery;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.apache.spark.sql.streaming.StreamingQueryListener;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The false-alarm soak: the lag and SLA pipelines running healthy (a writer committing every 5 s and a consumer
 * reading each commit; a generator at 5 visits a second and the synchronizer syncing them) against the local
 * alerting stack in the fast profile, for {@code -Dsoak.minutes} (default 10). Every alert Alertmanager delivers
 * is a false alarm; the alerts that were pending (near misses) and the margins (batch durations against the SLA,
 * lag against its threshold) are printed beside the count. Run with
 * {@code mvn -Pbenchmark verify -pl alerting -am -Dtest=SoakBenchmark}.
 */
@Tag("benchmark")
class SoakBenchmark {
    private static final int VISITS_PER_SECOND = 5;
    private static final Duration COMMIT_EVERY = Duration.ofSeconds(5);
    private static final String TOPIC = "soak";
    private static final String SYNCHRONIZER = "soak-synchronizer";

    @TempDir
    Path dir;

    /** Every executed batch's duration, per query name. */
    private final Map<String, List<Long>> batchMillis = new ConcurrentHashMap<>();

    @Test
    void healthyPipelinesRaiseNoAlert() throws Exception {
        Duration soak = Duration.ofMinutes(Long.getLong("soak.minutes", 10));
        ScheduledExecutorService writer = Executors.newSingleThreadScheduledExecutor();
        try (StackPipelines pipelines = new StackPipelines(dir)) {
            LocalAlertingStack stack = pipelines.stack;
            pipelines.spark().streams().addListener(new BatchDurations());
            StackPipelines.run(new CreateVisitsTable(), "--path", pipelines.visitsTable());
            pipelines.generate(TOPIC, 20);

            long start = System.currentTimeMillis();
            Future<Integer> consumer = pipelines.submit(new ConsumeVisits(),
                    StackPipelines.concat(pipelines.consumer("soak-consumer"), "--continuous", "--trigger-interval", "2s"));
            Future<Integer> synchronizer = pipelines.synchronizer(TOPIC, SYNCHRONIZER);
            Future<Integer> generator = pipelines.submit(new GenerateVisits(), "--bootstrap-servers", pipelines.kafka.bootstrapServers(),
                    "--topic", TOPIC, "--count", String.valueOf(VISITS_PER_SECOND * soak.toSeconds()), "--rate", String.valueOf(VISITS_PER_SECOND));
            List<Long> commits = new CopyOnWriteArrayList<>();
            writer.scheduleWithFixedDelay(() -> {
                StackPipelines.run(new WriteVisits(), StackPipelines.concat(pipelines.writer(), "--commits", "1"));
                commits.add(System.currentTimeMillis());
            }, 0, COMMIT_EVERY.toMillis(), TimeUnit.MILLISECONDS);

            long end = start + soak.toMillis();
            await().atMost(soak.plusMinutes(1)).pollInterval(Duration.ofSeconds(1)).until(() -> System.currentTimeMillis() >= end);
            writer.shutdown();
            assertEquals(0, generator.get(1, TimeUnit.MINUTES), "the generator produced its visits");
            double maxLagVersions = maxOverSoak(stack, "max(visits_writer_version) - max(visits_reader_version)", start, end);
            double maxLagSeconds = maxOverSoak(stack, "max(visits_reader_lag_seconds)", start, end);
            pipelines.stopQueries(synchronizer);
            consumer.get(1, TimeUnit.MINUTES);

            List<Delivery> fired = stack.webhook.deliveries().stream()
                    .filter(d -> d.path().equals(LocalAlertingStack.WEBHOOK_PATH) && d.status().equals("firing") && d.receivedAtMillis() >= start)
                    .toList();
            Map<String, Long> pending = pendingSeconds(stack, start, end);
            double slaMillis = Double.parseDouble(stack.config.value("sla_millis"));
            List<String> rows = new ArrayList<>();
            rows.add(String.format("soak: %d s, %d commits by the writer (one every %d s), %d visits at %d/s into the synchronizer",
                    soak.toSeconds(), commits.size(), COMMIT_EVERY.toSeconds(), VISITS_PER_SECOND * soak.toSeconds(), VISITS_PER_SECOND));
            batchMillis.forEach((query, durations) -> rows.add(String.format(
                    "%-20s %5d batches, duration p50 %6.0f ms, p99 %6.0f ms, max %6d ms (SLA %.0f ms; the run's first batch %d ms)",
                    query, durations.size(), Figures.percentile(durations, 50), Figures.percentile(durations, 99),
                    durations.stream().mapToLong(Long::longValue).max().orElse(0), slaMillis, durations.get(0))));
            rows.add(String.format("lag: max %.0f versions (alert above %s), max %.1f s waiting (alert above %s s)", maxLagVersions,
                    stack.config.value("lag_versions_above"), maxLagSeconds, stack.config.value("lag_seconds_above")));
            rows.add("alerts pending at some point (near misses), seconds pending: " + (pending.isEmpty() ? "none" : pending));
            rows.add("alerts fired: " + fired.size() + (fired.isEmpty() ? "" : " " + fired.stream().flatMap(d -> d.alertNames().stream()).toList()));
            Figures.print("false-alarm soak, fast profile (evaluation " + stack.config.value("evaluation_interval") + ")", rows.toArray(String[]::new));
            assertEquals(List.of(), fired.stream().map(Delivery::body).map(JsonNode::toString).toList(), "no alert fires on healthy pipelines");
        } finally {
            writer.shutdownNow();
        }
    }

    private static double maxOverSoak(LocalAlertingStack stack, String promql, long start, long end) {
        return stack.prometheus.queryRange(promql, start, end, Duration.ofSeconds(1)).stream()
                .flatMap(series -> java.util.stream.StreamSupport.stream(series.path("values").spliterator(), false))
                .mapToDouble(point -> Double.parseDouble(point.get(1).asText())).max().orElse(Double.NaN);
    }

    /** How long each alert was pending during the soak, from Prometheus's ALERTS series (1 s resolution). */
    private static Map<String, Long> pendingSeconds(LocalAlertingStack stack, long start, long end) {
        Map<String, Long> pending = new TreeMap<>();
        for (JsonNode series : stack.prometheus.queryRange("ALERTS{alertstate=\"pending\"}", start, end, Duration.ofSeconds(1))) {
            pending.merge(series.path("metric").path("alertname").asText() + "{" + series.path("metric").path("query").asText() + "}",
                    (long) series.path("values").size(), Long::sum);
        }
        return pending;
    }

    /** Collects every executed batch's duration by query name. */
    private final class BatchDurations extends StreamingQueryListener {
        @Override
        public void onQueryStarted(QueryStartedEvent event) {
        }

        @Override
        public void onQueryProgress(QueryProgressEvent event) {
            batchMillis.computeIfAbsent(String.valueOf(event.progress().name()), name -> new CopyOnWriteArrayList<>())
                    .add(event.progress().batchDuration());
        }

        @Override
        public void onQueryTerminated(QueryTerminatedEvent event) {
        }
    }
}
