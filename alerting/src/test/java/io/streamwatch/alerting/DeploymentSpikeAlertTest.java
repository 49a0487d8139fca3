package io.streamwatch.alerting;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.streamwatch.jobs.spikes.DeploymentSpikes;
import io.streamwatch.jobs.common.Jobs;
import io.streamwatch.jobs.common.SparkSessions;
import io.streamwatch.testkit.DashboardPanels;
import io.streamwatch.testkit.EmbeddedKafka;
import io.streamwatch.testkit.WebhookReceiver.Delivery;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Aggregate alerting end to end: deployment events into Kafka, the window job, a real Pushgateway, Prometheus
 * (fast profile) and Alertmanager delivering to a webhook in this test. The steady deployments never fire; a spike
 * fires DeploymentSpike for its organization only, grouped by alert_name as the original; with no new event it
 * resolves once the window has passed.
 */
class DeploymentSpikeAlertTest {
    static final String ALERT = "DeploymentSpike";

    @TempDir
    Path dir;

    @Test
    void aSpikeFiresForItsOrganizationAtTheWebhookAndResolvesWhenTheWindowPasses() throws Exception {
        ExecutorService background = Executors.newSingleThreadExecutor();
        try (LocalAlertingStack stack = new LocalAlertingStack(dir.resolve("stack"));
             EmbeddedKafka kafka = EmbeddedKafka.start(dir)) {
            kafka.createTopic("customer_events", 3);
            Future<Integer> job = background.submit(() -> Jobs.execute(new DeploymentSpikes(), "--bootstrap-servers", kafka.bootstrapServers(),
                    "--checkpoint", dir.resolve("checkpoint").toString(), "--events-path", dir.resolve("fct_customer_events").toString(),
                    "--window", "10s", "--evaluate-every", "1s", "--trigger-interval", "500ms", "--pushgateway", stack.pushgateway.address()));
            await().atMost(Duration.ofSeconds(60)).until(() -> SparkSessions.activeQuery(SparkSessions.getOrCreate("alerting-tests"),
                    DeploymentSpikes.QUERY_NAME).map(query -> query.lastProgress() != null).orElse(false));

            long steadySince = System.currentTimeMillis();
            for (String organization : List.of("A", "B", "C", "D")) {
                send(kafka, organization, 4);
            }
            Duration quiet = Duration.ofSeconds(6);
            await().during(quiet).atMost(quiet.plusSeconds(5)).until(() -> stack.prometheus.alertState(ALERT).equals("inactive"));
            assertTrue(stack.webhook.deliveries().stream().noneMatch(d -> d.receivedAtMillis() >= steadySince && d.alertNames().contains(ALERT)),
                    "steady: no spike fires");

            long spikeAt = System.currentTimeMillis();
            send(kafka, "C", 8);
            System.out.printf("spike sent at %tT.%<tL%n", spikeAt);
            Delivery firing = await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(100))
                    .until(() -> stack.webhook.first(LocalAlertingStack.WEBHOOK_PATH, ALERT, "firing", spikeAt), java.util.Optional::isPresent)
                    .orElseThrow();
            assertEquals(List.of("C"), firing.body().path("alerts").findValuesAsText("organization"), "only the spiking organization");
            assertEquals(Map.of("alert_name", "deployment_spike"), new com.fasterxml.jackson.databind.ObjectMapper()
                    .convertValue(firing.body().path("groupLabels"), Map.class), "grouped by alert_name as the original");
            assertEquals("Organization C", firing.body().path("alerts").get(0).path("annotations").path("summary").asText());
            System.out.printf("spike to webhook: %d ms%n", firing.receivedAtMillis() - spikeAt);

            Delivery resolved = await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(100))
                    .until(() -> stack.webhook.first(LocalAlertingStack.WEBHOOK_PATH, ALERT, "resolved", spikeAt), java.util.Optional::isPresent)
                    .orElseThrow();
            assertTrue(resolved.receivedAtMillis() - spikeAt >= 9_000, "resolved once the 10 s window passed, without new events");
            DashboardPanels.assertHasData(stack.prometheus, "Deployments per organization (window) and spike alerts", steadySince);
            SparkSessions.activeQuery(SparkSessions.getOrCreate("alerting-tests"), DeploymentSpikes.QUERY_NAME).orElseThrow().stop();
            assertEquals(0, job.get(60, TimeUnit.SECONDS));
        } finally {
            background.shutdownNow();
        }
    }

    static void send(EmbeddedKafka kafka, String organization, int events) {
        List<Map.Entry<String, String>> records = new ArrayList<>();
        for (int i = 0; i < events; i++) {
            records.add(Map.entry(organization, "{\"customer_id\": " + (int) organization.charAt(0) + ", \"customer_name\": \"Org " + organization
                    + "\", \"deployment_type\": \"on_prem\", \"event_type\": \"deployment_created\", \"organization\": \"" + organization
                    + "\", \"event_ts\": " + System.currentTimeMillis() / 1000 + "}"));
        }
        kafka.sendKeyed("customer_events", records);
    }
}
