package io.streamwatch.rules;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.Serializable;
import java.math.BigDecimal;

/**
 * A threshold rule: alarm to {@code webhookUrl} when a value of {@code metricName} compares with the threshold
 * by the operator. {@code cooldownSeconds} (0: every matching value alarms) and
 * {@code notifyResolved} (one "resolved" message when the metric stops matching) are optional.
 * The webhook URL holds Discord's token: {@link #toString()} and {@link #toMaskedJson()} never show it.
 */
public record Rule(String id, String metricName, double threshold, String webhookUrl, Operator operator,
                   long cooldownSeconds, boolean notifyResolved) implements Serializable {

    public boolean matches(double value) {
        return operator.matches(value, threshold);
    }

    /** Whether matching it needs what came before (a cooldown, or a resolved message to send). */
    public boolean isStateful() {
        return cooldownSeconds > 0 || notifyResolved;
    }

    /** The rule as the topic and the API carry it, webhook URL in full. */
    public ObjectNode toJson() {
        return json(webhookUrl);
    }

    /** The rule as {@code GET} shows it: the webhook's token masked. */
    public ObjectNode toMaskedJson() {
        return json(WebhookPrefixes.mask(webhookUrl));
    }

    private ObjectNode json(String shownUrl) {
        ObjectNode json = JsonNodeFactory.instance.objectNode();
        json.put("id", id);
        json.put("metric_name", metricName);
        if (threshold == Math.rint(threshold) && Math.abs(threshold) < 1e15) {
            json.put("threshold", (long) threshold);
        } else {
            json.put("threshold", threshold);
        }
        json.put("discord_webhook_url", shownUrl);
        json.put("operator", operator.symbol());
        json.put("cooldown_seconds", cooldownSeconds);
        json.put("notify_resolved", notifyResolved);
        return json;
    }

    /** A number as people write it: 500, not 500.0 (thresholds and values in messages). */
    public static String format(double number) {
        if (Double.isNaN(number) || Double.isInfinite(number)) {
            return Double.toString(number);
        }
        return new BigDecimal(Double.toString(number)).stripTrailingZeros().toPlainString();
    }

    @Override
    public String toString() {
        return "Rule[" + id + ": " + metricName + " " + operator.symbol() + " " + format(threshold) + "]";
    }
}
