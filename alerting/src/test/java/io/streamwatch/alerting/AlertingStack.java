package io.streamwatch.alerting;

import static org.awaitility.Awaitility.await;

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
final class AlertingStack implements AutoCloseable {
    static final String WEBHOOK_PATH = "/alertmanager";
    static final String DISCORD_PATH = "/discord";

    final AlertingConfig config;
    final LocalPushgateway pushgateway;
    final WebhookReceiver webhook;
    final LocalAlertmanager alertmanager;
    final LocalPrometheus prometheus;

    AlertingStack(Path dir) {
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
        await().atMost(Duration.ofSeconds(30)).until(() -> prometheus.targetsUp() && prometheus.alertmanagerDiscovered());
    }

    /** Seconds of a duration value of the profile, e.g. "3s" -> 3. */
    double seconds(String key) {
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
