package io.streamwatch.jobs.alarms.discord;

import io.streamwatch.rules.Alarm;
import io.streamwatch.rules.Operator;
import io.streamwatch.rules.Rule;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;

/** The seed's embed, and Discord's limits kept whatever the metric's name (a 400 from Discord would lose the alarm). */
class DiscordMessageTest {

    @Test
    void theSeedsEmbedWordedPerOperator() {
        JsonNode embed = DiscordMessage.of(new Alarm("21433034-8078-4f1a-bb8d-1ac996db395d", "received-packages", 508, 500,
                Operator.GREATER, Alarm.State.FIRING, 0, "metrics", 0, 0)).get("embeds").get(0);
        assertEquals("Alarm triggered", embed.get("title").asText());
        assertEquals("received-packages is 508 which exceeds the rule threshold (500)", embed.get("description").asText());
        assertEquals(16711680, embed.get("color").asInt());
        assertEquals("[{\"name\":\"Rule id\",\"value\":\"21433034-8078-4f1a-bb8d-1ac996db395d\"},{\"name\":\"Metric name\",\"value\":"
                + "\"received-packages\"},{\"name\":\"Metric value\",\"value\":\"508\"},{\"name\":\"Rule threshold\",\"value\":\"500\"}]",
                embed.get("fields").toString());
        assertEquals("cpu is 0.5 which is at or below the rule threshold (0.75)", DiscordMessage.of(new Alarm("r", "cpu", 0.5, 0.75,
                Operator.LESS_OR_EQUAL, Alarm.State.FIRING, 0, "metrics", 0, 0)).get("embeds").get(0).get("description").asText());
    }

    @Test
    void aHugeMetricNameIsCutToDiscordsLimits() {
        String name = "m".repeat(9_000) + "\uD83D\uDE00"; // ends in a surrogate pair
        JsonNode embed = DiscordMessage.of(new Alarm("r", name, 1, 0, Operator.GREATER, Alarm.State.RESOLVED, 0, "metrics", 0, 0))
                .get("embeds").get(0);
        int total = embed.get("title").asText().length() + embed.get("description").asText().length();
        for (JsonNode field : embed.get("fields")) {
            assertTrue(field.get("value").asText().length() <= DiscordMessage.FIELD_VALUE_LIMIT);
            assertTrue(field.get("name").asText().length() <= DiscordMessage.FIELD_NAME_LIMIT);
            total += field.get("name").asText().length() + field.get("value").asText().length();
        }
        assertTrue(embed.get("description").asText().length() <= DiscordMessage.DESCRIPTION_LIMIT);
        assertTrue(total <= DiscordMessage.MESSAGE_LIMIT, "total " + total);
        assertTrue(embed.get("description").asText().endsWith("…"));
        assertEquals(65280, embed.get("color").asInt());
        assertEquals("Alarm resolved", embed.get("title").asText());
    }
}
