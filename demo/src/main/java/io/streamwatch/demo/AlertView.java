package io.streamwatch.demo;

import io.streamwatch.alerting.LocalAlertingStack;
import java.util.concurrent.TimeUnit;

/**
 * An alert's state as the demo prints it: Normal, Pending or Firing from Prometheus, whether Alertmanager holds
 * it, and Resolved once the webhook has received its resolution.
 */
final class AlertView {
    private final LocalAlertingStack stack;

    AlertView(LocalAlertingStack stack) {
        this.stack = stack;
    }

    String state(String alert, long sinceMillis) {
        if (stack == null) {
            return "(no Prometheus: started with --pushgateway)";
        }
        String prometheus = switch (stack.prometheus.alertState(alert)) {
            case "pending" -> "Pending";
            case "firing" -> "Firing";
            default -> stack.webhook.first(LocalAlertingStack.WEBHOOK_PATH, alert, "resolved", sinceMillis).isPresent() ? "Resolved" : "Normal";
        };
        boolean inAlertmanager = stack.alertmanager.alertsJson().contains("\"alertname\":\"" + alert + "\"");
        boolean notified = stack.webhook.first(LocalAlertingStack.WEBHOOK_PATH, alert, "firing", sinceMillis).isPresent();
        return prometheus + " (Prometheus)" + (inAlertmanager ? ", active in Alertmanager" : "")
                + (notified ? ", firing notification received by the webhook" : "");
    }

    /** Prints the alert's state each time it changes until it starts with {@code until}, at most {@code seconds}. */
    void follow(String alert, String until, long sinceMillis, int seconds) throws InterruptedException {
        if (stack == null) {
            return;
        }
        String last = "";
        long start = System.currentTimeMillis();
        while (System.currentTimeMillis() - start < seconds * 1000L) {
            String state = state(alert, sinceMillis);
            if (!state.equals(last)) {
                System.out.printf("   alert %s after %4.1f s: %s%n", alert, (System.currentTimeMillis() - sinceMillis) / 1000.0, state);
                last = state;
            }
            if (state.startsWith(until)) {
                return;
            }
            TimeUnit.MILLISECONDS.sleep(200);
        }
    }
}
