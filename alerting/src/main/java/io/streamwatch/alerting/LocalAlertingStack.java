package io.streamwatch.alerting;

import io.streamwatch.testkit.FreePorts;
import io.streamwatch.testkit.LocalAlertmanager;
import io.streamwatch.testkit.LocalPrometheus;
import io.streamwatch.testkit.LocalPushgateway;
import io.streamwatch.testkit.WebhookReceiver;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

/**
 * The alerting side as real processes on loopback, configured by the fast profile's rendering: Pushgateway,
 * Prometheus scraping it and evaluating the rules, Alertmanager delivering to a webhook receiver in the test
 * (its webhook and its Discord receiver both point there).
 */
public final class LocalAlertingStack implements AutoCloseable {
    public static final String WEBHOOK_PATH = "/alertmanager";
    public static final String DISCORD_PATH = "/discord";

    public final AlertingConfig config;
    public final LocalPushgateway pushgateway;
    public final WebhookReceiver webhook;
    public final LocalAlertmanager alertmanager;
    public final LocalPrometheus prometheus;

    public LocalAlertingStack(Path dir) {
        pushgateway = LocalPushgateway.start(dir.resolve("pushgateway"));
        webhook = new WebhookReceiver();
        int alertmanagerPort = FreePorts.next();
        config = AlertingConfig.profile(AlertingConfig.repository(), "fast").with(Map.of(
                "pushgateway_target", pushgateway.address(),
                "alertmanager_target", "127.0.0.1:" + alertmanagerPort,
                "rules_dir", dir.resolve("config/docker/prometheus/rules").toString(),
                "webhook_url", webhook.url(WEBHOOK_PATH),
                "discord_webhook_url", webhook.url(DISCORD_PATH)));
        config.renderInto(dir.resolve("config"));
        alertmanager = LocalAlertmanager.start(alertmanagerPort, dir.resolve("config/docker/alertmanager/alertmanager.yml"), dir);
        prometheus = LocalPrometheus.start(FreePorts.next(), dir.resolve("config/docker/prometheus/prometheus.yml"), dir);
        awaitDiscovery(Duration.ofSeconds(30));
    }

    /** Prometheus needs a few seconds to scrape the Pushgateway and find Alertmanager; alerts before that are lost. */
    private void awaitDiscovery(Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!(prometheus.targetsUp() && prometheus.alertmanagerDiscovered())) {
            if (System.nanoTime() > deadline) {
                close();
                throw new IllegalStateException("Prometheus did not discover its Pushgateway and Alertmanager within " + timeout);
            }
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
        }
    }

    /** Seconds of a duration value of the profile, e.g. "3s" -> 3. */
    public double seconds(String key) {
        String value = config.value(key);
        if (value.endsWith("ms")) {
            return Double.parseDouble(value.substring(0, value.length() - 2)) / 1000;
        }
        double amount = Double.parseDouble(value.substring(0, value.length() - 1));
        return switch (value.charAt(value.length() - 1)) {
            case 'm' -> amount * 60;
            case 'h' -> amount * 3600;
            default -> amount;
        };
    }

    @Override
    public void close() {
        prometheus.close();
        alertmanager.close();
        webhook.close();
        pushgateway.close();
    }
}
