package io.streamwatch.demo;

import static io.streamwatch.demo.Demo.step;

import io.streamwatch.jobs.spikes.DeploymentSpikes;
import io.streamwatch.jobs.spikes.GenerateDeployments;
import io.streamwatch.jobs.common.Jobs;
import io.streamwatch.jobs.common.SparkSessions;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

/**
 * The deployment spikes scenario: the generator with a short spike interval, the window job, the DeploymentSpike
 * alert firing at the webhook, then, with the generator stopped, resolving once the window has passed.
 */
final class SpikesScenario {
    private static final String WINDOW = "20s";
    private final Path dir;
    private final String bootstrapServers;
    private final String pushgateway;
    private final AlertView alerts;

    SpikesScenario(Path dir, String bootstrapServers, String pushgateway, AlertView alerts) {
        this.dir = dir;
        this.bootstrapServers = bootstrapServers;
        this.pushgateway = pushgateway;
        this.alerts = alerts;
    }

    void run() throws Exception {
        ExecutorService background = Executors.newFixedThreadPool(2);
        String events = dir.resolve("fct_customer_events").toString();
        try {
            step("1. Start DeploymentSpikes (--window " + WINDOW + ", --threshold 5, evaluated every second)");
            Future<Integer> job = background.submit(() -> Jobs.execute(new DeploymentSpikes(), "--bootstrap-servers", bootstrapServers,
                    "--checkpoint", dir.resolve("checkpoints/deployment_spikes").toString(), "--events-path", events,
                    "--window", WINDOW, "--evaluate-every", "1s", "--trigger-interval", "500ms", "--pushgateway", pushgateway));
            while (SparkSessions.activeQuery(spark(), DeploymentSpikes.QUERY_NAME).isEmpty() && !job.isDone()) {
                TimeUnit.MILLISECONDS.sleep(200);
            }

            step("2. GenerateDeployments: 10 customers, one event each, then a spike of 10 events of one customer every 15 s");
            long since = System.currentTimeMillis();
            Future<Integer> generator = background.submit(() -> Jobs.execute(new GenerateDeployments(), "--bootstrap-servers", bootstrapServers,
                    "--spike-every", "15s", "--spike-size", "10", "--count", "20", "--seed", "3"));
            alerts.follow("DeploymentSpike", "Firing (Prometheus), active in Alertmanager, firing", since, 90);
            generator.get(60, TimeUnit.SECONDS);
            show(dir, true);

            step("3. The generator has stopped: the spike ages out of the " + WINDOW + " window, no new event needed");
            long stopped = System.currentTimeMillis();
            alerts.follow("DeploymentSpike", "Resolved", stopped, 90);
            show(dir, false);
            SparkSessions.activeQuery(spark(), DeploymentSpikes.QUERY_NAME).ifPresent(SparkSessions::stop);
            job.get(60, TimeUnit.SECONDS);
        } finally {
            background.shutdownNow();
        }
    }

    private static SparkSession spark() {
        return SparkSessions.getOrCreate("demo");
    }

    /**
     * Prints the tables once they say what the alert said: the job pushes its export before it rewrites the tables,
     * so right after Prometheus's verdict they may still hold the evaluation before it (waits at most 30 s).
     */
    private static void show(Path dir, boolean firing) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        List<Row> alerting = organizationAlerts(dir);
        while (alerting.isEmpty() == firing && System.nanoTime() < deadline) {
            TimeUnit.MILLISECONDS.sleep(200);
            alerting = organizationAlerts(dir);
        }
        List<Row> deployments = spark().read().format("delta").load(dir.resolve("dim_deployments").toString()).orderBy("organization").collectAsList();
        System.out.println("   dim_deployments: " + (deployments.isEmpty() ? "(empty)" : deployments.stream()
                .map(row -> row.getString(0) + "/" + row.getString(1) + " " + row.getLong(2) + " deployments, " + row.getLong(3) + " customers").toList()));
        System.out.println("   organization_alert: " + (alerting.isEmpty() ? "(none firing)" : alerting.stream()
                .map(row -> row.getString(0) + " " + row.getString(1)).toList()));
    }

    private static List<Row> organizationAlerts(Path dir) {
        return spark().read().format("delta").load(dir.resolve("organization_alert").toString()).collectAsList();
    }
}
