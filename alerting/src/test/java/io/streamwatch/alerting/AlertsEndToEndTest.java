package io.streamwatch.alerting;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.streamwatch.jobs.lag.ConsumeVisits;
import io.streamwatch.jobs.visits.CreateVisitsTable;
import io.streamwatch.jobs.sla.GenerateVisits;
import io.streamwatch.jobs.common.Jobs;
import io.streamwatch.jobs.common.SparkSessions;
import io.streamwatch.jobs.sla.SyncVisitsToDelta;
import io.streamwatch.jobs.lag.WriteVisits;
import io.streamwatch.testkit.DashboardPanels;
import io.streamwatch.testkit.EmbeddedKafka;
import io.streamwatch.testkit.WebhookReceiver.Delivery;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The heart of it: the real jobs push to a real Pushgateway, a real Prometheus (fast profile) evaluates the
 * rules, a real Alertmanager delivers to a webhook in this test. Alerts fire when they should, resolve after,
 * and stay silent in a steady run.
 */
class AlertsEndToEndTest {
    static final String LAG = "VisitsConsumerLag";
    static final String SLA = "SlaMissVisitsSynchronizer";
    static final String STALL = "StreamwatchBatchStalled";

    @TempDir
    static Path dir;
    static LocalAlertingStack stack;

    @BeforeAll
    static void start() {
        stack = new LocalAlertingStack(dir);
        SparkSessions.getOrCreate("alerting-tests");
    }

    @AfterAll
    static void stop() {
        stack.close();
    }

    static void job(Callable<Integer> job, String... args) {
        assertEquals(0, Jobs.execute(job, args), job.getClass().getSimpleName());
    }

    static Delivery awaitDelivery(String alert, String status, long since) {
        return await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(100))
                .until(() -> stack.webhook.first(LocalAlertingStack.WEBHOOK_PATH, alert, status, since), java.util.Optional::isPresent)
                .orElseThrow();
    }

    @Test
    void theLagAlertStaysSilentWhileCaughtUpFiresWhenTheConsumerFallsBehindAndResolvesAfter() {
        String table = dir.resolve("visits").toString();
        String[] write = {"--path", table, "--pushgateway", stack.pushgateway.address()};
        String[] consume = {"--path", table, "--checkpoint", dir.resolve("checkpoint").toString(),
            "--pushgateway", stack.pushgateway.address(), "--quiet"};
        long scenarioStart = System.currentTimeMillis();
        job(new CreateVisitsTable(), "--path", table);
        job(new WriteVisits(), write);
        job(new ConsumeVisits(), consume);
        long steadySince = System.currentTimeMillis();

        Duration quiet = Duration.ofSeconds((long) stack.seconds("lag_for") + 3);
        await().during(quiet).atMost(quiet.plusSeconds(5)).until(() -> stack.prometheus.alertState(LAG).equals("inactive"));
        assertTrue(stack.webhook.deliveries().stream().noneMatch(d -> d.receivedAtMillis() >= steadySince),
                "nothing fires in a steady run: " + stack.webhook.deliveries());

        long behindSince = System.currentTimeMillis();
        job(new WriteVisits(), write);
        await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(100))
                .until(() -> stack.prometheus.alertState(LAG).equals("pending"));
        Delivery firing = awaitDelivery(LAG, "firing", behindSince);
        assertEquals("firing", stack.prometheus.alertState(LAG));
        assertTrue(firing.body().toString().contains("is 3 versions behind"), firing.body().toString());
        await().atMost(Duration.ofSeconds(10)).until(() -> stack.webhook.deliveries().stream()
                .anyMatch(d -> d.path().equals(LocalAlertingStack.DISCORD_PATH) && d.receivedAtMillis() >= behindSince
                        && d.body().toString().contains(LAG)));

        long caughtUpSince = System.currentTimeMillis();
        job(new ConsumeVisits(), consume);
        awaitDelivery(LAG, "resolved", caughtUpSince);
        assertEquals("inactive", stack.prometheus.alertState(LAG));
        for (String panel : List.of("Writer vs reader version", "Consumer lag (versions)", "Consumer lag (seconds)")) {
            DashboardPanels.assertHasData(stack.prometheus, panel, scenarioStart);
        }
    }

    @Test
    void slaMissAndStallAlertsFireOnDelayedAndHangingBatchesAndResolveAfter() throws Exception {
        ExecutorService background = Executors.newSingleThreadExecutor();
        try (EmbeddedKafka kafka = EmbeddedKafka.start(dir.resolve("kafka"))) {
            job(new GenerateVisits(), "--bootstrap-servers", kafka.bootstrapServers(), "--count", "60", "--rate", "0");
            List<String> sync = List.of("--bootstrap-servers", kafka.bootstrapServers(), "--path", dir.resolve("synced").toString(),
                    "--checkpoint", dir.resolve("sync-checkpoint").toString(), "--pushgateway", stack.pushgateway.address(),
                    "--trigger-interval", "1s", "--max-offsets-per-trigger", "20", "--heartbeat-interval", "1s");

            long delayedSince = System.currentTimeMillis();
            Future<Integer> delayed = background.submit(() -> Jobs.execute(new SyncVisitsToDelta(), with(sync, "--batch-delay", "5s")));
            Delivery slaMiss = awaitDelivery(SLA, "firing", delayedSince);
            Delivery stall = awaitDelivery(STALL, "firing", delayedSince);
            assertTrue(stall.receivedAtMillis() < slaMiss.receivedAtMillis() + 10_000);
            stopSynchronizer();
            assertEquals(0, delayed.get(60, TimeUnit.SECONDS));

            job(new GenerateVisits(), "--bootstrap-servers", kafka.bootstrapServers(), "--count", "60", "--rate", "0");
            Future<Integer> prompt = background.submit(() -> Jobs.execute(new SyncVisitsToDelta(), sync.toArray(String[]::new)));
            awaitDelivery(SLA, "resolved", delayedSince);
            awaitDelivery(STALL, "resolved", delayedSince);
            double slaMillis = Double.parseDouble(stack.config.value("sla_millis"));
            await().atMost(Duration.ofSeconds(60)).until(() -> stack.prometheus.value(
                    "visits_sync_duration").map(ms -> ms < slaMillis).orElse(false));
            // The first batch of a run also starts the query and may take longer; steady batches keep it resolved.
            await().atMost(Duration.ofSeconds(30)).until(() -> stack.prometheus.alertState(SLA).equals("inactive"));
            for (String panel : List.of("Micro-batch duration and the SLA", "Kafka lag per partition", "Alerts pending and firing")) {
                DashboardPanels.assertHasData(stack.prometheus, panel, delayedSince);
            }
            stopSynchronizer();
            assertEquals(0, prompt.get(60, TimeUnit.SECONDS));
        } finally {
            background.shutdownNow();
        }
    }

    private static String[] with(List<String> args, String... more) {
        List<String> all = new java.util.ArrayList<>(args);
        all.addAll(List.of(more));
        return all.toArray(String[]::new);
    }

    private static void stopSynchronizer() throws Exception {
        await().atMost(Duration.ofSeconds(60))
                .until(() -> SparkSessions.activeQuery(SparkSessions.getOrCreate("alerting-tests"), SyncVisitsToDelta.QUERY_NAME),
                        java.util.Optional::isPresent)
                .orElseThrow().stop();
    }
}
