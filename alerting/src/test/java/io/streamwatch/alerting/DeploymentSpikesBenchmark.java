package io.streamwatch.alerting;

import static org.awaitility.Awaitility.await;

import io.streamwatch.jobs.spikes.DeploymentSpikes;
import io.streamwatch.jobs.common.Jobs;
import io.streamwatch.jobs.common.SparkSessions;
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
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Figures for the README: events per second through the deployment spikes job (a backlog of 100,000 events), and
 * the latency from a spike sent to Kafka to its firing notification at the webhook, fast profile, 5 spikes.
 */
@Tag("benchmark")
class DeploymentSpikesBenchmark {
    static final int BACKLOG = 100_000;
    static final int SPIKES = 5;

    @TempDir
    Path dir;

    @Test
    void eventsPerSecondAndSpikeToWebhookLatency() throws Exception {
        SparkSession spark = SparkSessions.getOrCreate("benchmark");
        ExecutorService background = Executors.newSingleThreadExecutor();
        try (LocalAlertingStack stack = new LocalAlertingStack(dir.resolve("stack"));
             EmbeddedKafka kafka = EmbeddedKafka.start(dir)) {
            kafka.createTopic("customer_events", 3);
            long old = System.currentTimeMillis() / 1000 - 3600; // an hour old: counted in, never in the window
            try (KafkaProducer<String, String> producer = new KafkaProducer<>(Map.of("bootstrap.servers", kafka.bootstrapServers(),
                    "linger.ms", "20"), new StringSerializer(), new StringSerializer())) {
                for (int i = 0; i < BACKLOG; i++) {
                    producer.send(new ProducerRecord<>("customer_events", String.valueOf(i % 50), event(i % 50, "ABCD".charAt(i % 4) + "", old)));
                }
            }
            String events = dir.resolve("fct_customer_events").toString();
            long start = System.nanoTime();
            Future<Integer> job = background.submit(() -> Jobs.execute(new DeploymentSpikes(), "--bootstrap-servers", kafka.bootstrapServers(),
                    "--checkpoint", dir.resolve("checkpoint").toString(), "--events-path", events,
                    "--window", "5s", "--evaluate-every", "1s", "--trigger-interval", "500ms", "--pushgateway", stack.pushgateway.address()));
            await().atMost(Duration.ofMinutes(10)).pollInterval(Duration.ofMillis(500)).until(() -> rows(spark, events) >= BACKLOG);
            double backlogSeconds = (System.nanoTime() - start) / 1e9;

            List<Long> latencies = new ArrayList<>();
            List<long[]> stages = new ArrayList<>();
            for (int spike = 0; spike < SPIKES; spike++) {
                String organization = "ABCD".charAt(spike % 4) + "";
                long sentAt = System.currentTimeMillis();
                Moments moments = new Moments(stack, Path.of(events, "_delta_log"), organization, sentAt);
                Thread watcher = new Thread(moments, "spike-moments");
                watcher.start();
                List<Map.Entry<String, String>> records = new ArrayList<>();
                for (int i = 0; i < 8; i++) {
                    records.add(Map.entry("7", event(7, organization, sentAt / 1000)));
                }
                kafka.sendKeyed("customer_events", records);
                Delivery firing = await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(50))
                        .until(() -> stack.webhook.first(LocalAlertingStack.WEBHOOK_PATH, "DeploymentSpike", "firing", sentAt), java.util.Optional::isPresent)
                        .orElseThrow();
                latencies.add(firing.receivedAtMillis() - sentAt);
                moments.stop();
                watcher.join(5_000);
                stages.add(new long[] {moments.committed - sentAt, moments.pushed - moments.committed, moments.scraped - moments.pushed,
                    moments.firing - moments.scraped, firing.receivedAtMillis() - moments.firing});
                await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(100))
                        .until(() -> stack.webhook.first(LocalAlertingStack.WEBHOOK_PATH, "DeploymentSpike", "resolved", sentAt).isPresent());
            }
            SparkSessions.activeQuery(spark, DeploymentSpikes.QUERY_NAME).orElseThrow().stop();
            job.get(60, TimeUnit.SECONDS);
            List<Long> sorted = latencies.stream().sorted().toList();
            System.out.println();
            System.out.println("BENCHMARK deployment spikes, local[*] on this machine, fast profile (scrape and evaluation 1 s, for 1 s)");
            System.out.printf("  backlog of %d events from Kafka into fct_customer_events: %.1f s including the job's start, %.0f events/s%n",
                    BACKLOG, backlogSeconds, BACKLOG / backlogSeconds);
            System.out.printf("  spike (8 events) sent -> firing notification at the webhook, %d spikes: median %d ms, max %d ms (all: %s)%n",
                    SPIKES, sorted.get(sorted.size() / 2), sorted.get(sorted.size() - 1), latencies);
            String[] labels = {"sent -> committed to Delta (streamwatch: the micro-batch)",
                "committed -> pushed as organization_alert 1 (streamwatch: the window's evaluation)",
                "pushed -> scraped by Prometheus (scrape interval)",
                "scraped -> alert firing (rule evaluation, `for`)",
                "firing -> webhook received (Alertmanager: group_wait, the send)"};
            System.out.println("  where a spike's time goes (median, min-max over the spikes; moments polled every 20 ms):");
            for (int stage = 0; stage < labels.length; stage++) {
                int index = stage;
                List<Long> values = stages.stream().map(m -> m[index]).sorted().toList();
                System.out.printf("    %-84s %6d ms (%d-%d)%n", labels[stage], values.get(values.size() / 2), values.get(0), values.get(values.size() - 1));
            }
        } finally {
            background.shutdownNow();
        }
    }

    /**
     * The moments of one spike on its way, first seen by polling every 20 ms: the Delta commit holding its events (the
     * commit file's time), {@code organization_alert} 1 at the Pushgateway, then in Prometheus, the alert firing there.
     */
    static final class Moments implements Runnable {
        final LocalAlertingStack stack;
        final Path log;
        final String organization;
        final long sentAt;
        volatile boolean stopped;
        volatile long committed;
        volatile long pushed;
        volatile long scraped;
        volatile long firing;

        Moments(LocalAlertingStack stack, Path log, String organization, long sentAt) {
            this.stack = stack;
            this.log = log;
            this.organization = organization;
            this.sentAt = sentAt;
        }

        void stop() {
            stopped = true;
        }

        @Override
        public void run() {
            while (!stopped) {
                long now = System.currentTimeMillis();
                try {
                    if (committed == 0) {
                        try (java.util.stream.Stream<Path> files = java.nio.file.Files.list(log)) {
                            committed = files.filter(f -> f.toString().endsWith(".json")).mapToLong(f -> f.toFile().lastModified())
                                    .filter(t -> t >= sentAt).min().orElse(0);
                        }
                    }
                    if (pushed == 0 && stack.pushgateway.value("organization_alert", Map.of("organization", organization)).orElse(0) == 1) {
                        pushed = now;
                    }
                    if (scraped == 0 && stack.prometheus.value("organization_alert{organization=\"" + organization + "\"} == 1").isPresent()) {
                        scraped = now;
                    }
                    if (firing == 0 && stack.prometheus.alertState("DeploymentSpike").equals("firing")) {
                        firing = now;
                    }
                    Thread.sleep(20);
                } catch (InterruptedException e) {
                    return;
                } catch (Exception e) {
                    // a poll that failed is tried again at the next turn
                }
            }
        }
    }

    static long rows(SparkSession spark, String path) {
        try {
            return spark.read().format("delta").load(path).count();
        } catch (Exception e) {
            return 0;
        }
    }

    static String event(int customer, String organization, long eventTs) {
        return "{\"customer_id\": " + customer + ", \"customer_name\": \"C " + customer + "\", \"deployment_type\": \"on_prem\", "
                + "\"event_type\": \"deployment_created\", \"organization\": \"" + organization + "\", \"event_ts\": " + eventTs + "}";
    }
}
