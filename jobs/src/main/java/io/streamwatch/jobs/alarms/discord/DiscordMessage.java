package io.streamwatch.jobs.alarms.discord;

import io.streamwatch.jobs.common.ShortText;
import io.streamwatch.rules.Alarm;
import io.streamwatch.rules.Operator;
import io.streamwatch.rules.Rule;
import io.streamwatch.rules.RuleJson;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * An alarm as a Discord embed: title, description, red (green when resolved), and the fields Rule id,
 * Metric name, Metric value, Rule threshold; cut to Discord's limits (title 256, description 4096, field value
 * 1024, 6,000 characters per message) so that Discord never answers 400 for a long metric name.
 */
public final class DiscordMessage {
    public static final int TITLE_LIMIT = 256;
    public static final int DESCRIPTION_LIMIT = 4096;
    public static final int FIELD_NAME_LIMIT = 256;
    public static final int FIELD_VALUE_LIMIT = 1024;
    public static final int MESSAGE_LIMIT = 6000;
    public static final int RED = 16711680;
    public static final int GREEN = 65280;

    private DiscordMessage() {
    }

    public static ObjectNode of(Alarm alarm) {
        boolean firing = alarm.state() == Alarm.State.FIRING;
        String[][] fields = {
                {"Rule id", alarm.ruleId()},
                {"Metric name", alarm.metricName()},
                {"Metric value", Rule.format(alarm.value())},
                {"Rule threshold", (alarm.operator() == Operator.GREATER ? "" : alarm.operator().symbol() + " ") + Rule.format(alarm.threshold())}};
        String title = firing ? "Alarm triggered" : "Alarm resolved";
        int used = title.length();
        for (String[] field : fields) {
            field[1] = ShortText.cut(field[1], FIELD_VALUE_LIMIT);
            used += field[0].length() + field[1].length();
        }
        String description = ShortText.cut(alarm.sentence(), Math.min(DESCRIPTION_LIMIT, MESSAGE_LIMIT - used));

        ObjectNode embed = RuleJson.JSON.createObjectNode();
        embed.put("title", ShortText.cut(title, TITLE_LIMIT));
        embed.put("description", description);
        embed.put("color", firing ? RED : GREEN);
        ArrayNode fieldNodes = embed.putArray("fields");
        for (String[] field : fields) {
            fieldNodes.addObject().put("name", ShortText.cut(field[0], FIELD_NAME_LIMIT)).put("value", field[1]);
        }
        ObjectNode message = RuleJson.JSON.createObjectNode();
        message.putArray("embeds").add(embed);
        message.putObject("allowed_mentions").putArray("parse");
        return message;
    }
}
