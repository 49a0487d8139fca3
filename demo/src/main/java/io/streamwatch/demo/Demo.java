package io.streamwatch.demo;

import io.streamwatch.cli.Cli;
import io.streamwatch.alerting.AlertingConfig;
import io.streamwatch.alerting.LocalAlertingStack;
import io.streamwatch.jobs.common.Jobs;
import io.streamwatch.listeners.PushgatewayPublisher;
import io.streamwatch.testkit.EmbeddedKafka;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * The Quick start: the real jobs in one local Spark, against a Pushgateway started from Debian's package
 * and (for the SLA scenario) an in-process Kafka broker, unless addresses are given; each step prints what
 * the Pushgateway holds.
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = "Runs a streamwatch scenario on embedded defaults: local Spark, Delta tables in a local folder, "
                + "a local Pushgateway, an in-process Kafka broker.")
public final class Demo implements Callable<Integer> {
    /** The scenarios. */
    enum Scenario { lag, sla, alarms, notify, spikes }

    @Parameters(index = "0", defaultValue = "lag", description = "Scenario: ${COMPLETION-CANDIDATES} (default: ${DEFAULT-VALUE}).")
    Scenario scenario;

    @Option(names = "--pushgateway", paramLabel = "HOST:PORT", description = "Use this Pushgateway instead of starting one.")
    String pushgatewayAddress;

    @Option(names = "--bootstrap-servers", paramLabel = "HOST:PORT", description = "Use this Kafka instead of the in-process broker (sla, alarms, notify, spikes).")
    String bootstrapServers;

    @Option(names = "--work-dir", description = "Folder for the tables, checkpoints and logs (default: a new temp folder).")
    Path workDir;

    public static void main(String[] args) {
        Cli.main(new Demo(), args);
    }

    @Override
    public Integer call() throws Exception {
        Path dir = workDir != null ? Files.createDirectories(workDir) : Files.createTempDirectory("streamwatch-demo");
        LocalAlertingStack stack = null;
        EmbeddedKafka startedKafka = null;
        try {
            if (pushgatewayAddress == null) {
                stack = new LocalAlertingStack(dir.resolve("stack"));
                pushgatewayAddress = stack.pushgateway.address();
                step("Started the alerting stack from Debian's packages, configured by the fast profile (alerting/fast.properties):"
                        + "\n   Pushgateway " + stack.pushgateway.url() + ", Prometheus " + stack.prometheus.url()
                        + ", Alertmanager " + stack.alertmanager.url() + " -> webhook " + stack.webhook.url(LocalAlertingStack.WEBHOOK_PATH));
            }
            PushgatewayView pushgateway = new PushgatewayView(pushgatewayAddress);
            AlertView alerts = new AlertView(stack);
            switch (scenario) {
                case lag -> new LagScenario(dir, pushgateway, alerts).run();
                case spikes -> {
                    startedKafka = startKafkaUnlessGiven(dir);
                    new SpikesScenario(dir, bootstrapServers, pushgatewayAddress, alerts).run();
                }
                case alarms, notify -> {
                    startedKafka = startKafkaUnlessGiven(dir);
                    new AlarmsScenario(dir, bootstrapServers, pushgatewayAddress, scenario == Scenario.notify).run();
                }
                case sla -> {
                    startedKafka = startKafkaUnlessGiven(dir);
                    AlertingConfig thresholds = stack != null ? stack.config : AlertingConfig.profile(AlertingConfig.repository(), "default");
                    new SlaScenario(dir, pushgateway, alerts, Long.parseLong(thresholds.value("sla_millis")), bootstrapServers).run();
                }
            }
            return 0;
        } finally {
            if (stack != null) {
                deliverBeforeTheStackStops();
            }
            if (startedKafka != null) {
                startedKafka.close();
            }
            if (stack != null) {
                stack.close();
            }
        }
    }

    /**
     * The demo's own Pushgateway stops with the demo: what the listeners published is delivered while it still answers,
     * and the publisher is closed, so the JVM's exit has nothing left to push to a stack that is gone.
     */
    private void deliverBeforeTheStackStops() {
        PushgatewayPublisher publisher = PushgatewayPublisher.shared(pushgatewayAddress);
        publisher.flush(Duration.ofSeconds(10));
        publisher.close();
    }

    private EmbeddedKafka startKafkaUnlessGiven(Path dir) {
        if (bootstrapServers != null) {
            return null;
        }
        EmbeddedKafka kafka = EmbeddedKafka.start(dir);
        bootstrapServers = kafka.bootstrapServers();
        step("Started an in-process Kafka broker (KRaft) at " + bootstrapServers);
        return kafka;
    }

    static void job(Callable<Integer> job, String... args) {
        int exitCode = Jobs.execute(job, args);
        if (exitCode != 0) {
            throw new IllegalStateException(job.getClass().getSimpleName() + " failed with exit code " + exitCode);
        }
    }

    static void step(String title) {
        System.out.println();
        System.out.println("== " + title);
    }
}
