package io.streamwatch.testkit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * What Discord's webhook API checks and answers, for {@link WebhookReceiver#discord()}: a {@code User-Agent}, a JSON
 * message with content or embeds within Discord's limits (content 2,000; 10 embeds; title 256, description 4,096,
 * 25 fields of name 256 and value 1,024, footer 2,048, author 256; 6,000 characters across the embeds), and what
 * execute answers: 200 with the message under {@code ?wait=true}, else 204.
 */
final class DiscordContract {
    private static final ObjectMapper JSON = new ObjectMapper();
    static final Map<String, String> RATE_LIMIT_HEADERS = Map.of("X-RateLimit-Limit", "5", "X-RateLimit-Remaining", "4",
            "X-RateLimit-Reset-After", "2", "X-RateLimit-Bucket", "6f1c6a9c0a0b3d3f");

    private DiscordContract() {
    }

    /** The 400 Discord answers this request with, or null when it takes it. */
    static WebhookReceiver.Reply refusal(Map<String, String> headers, JsonNode body) {
        if (headers.getOrDefault("user-agent", "").isBlank()) {
            return invalid("User-Agent", "a User-Agent header is required (DiscordBot ($url, $version))");
        }
        if (body == null || !body.isObject()) {
            return new WebhookReceiver.Reply(400, "{\"message\": \"The request body contains invalid JSON.\", \"code\": 50109}", Map.of());
        }
        List<String> faults = new ArrayList<>();
        String content = body.path("content").asText("");
        if (content.length() > 2000) {
            faults.add("content: Must be 2000 or fewer in length.");
        }
        JsonNode embeds = body.path("embeds");
        if (content.isEmpty() && (!embeds.isArray() || embeds.isEmpty())) {
            return new WebhookReceiver.Reply(400, "{\"message\": \"Cannot send an empty message\", \"code\": 50006}", Map.of());
        }
        if (embeds.size() > 10) {
            faults.add("embeds: Must be 10 or fewer in length.");
        }
        int total = 0;
        for (JsonNode embed : embeds) {
            total += limit(faults, "embeds.title", embed.path("title"), 256) + limit(faults, "embeds.description", embed.path("description"), 4096)
                    + limit(faults, "embeds.footer.text", embed.path("footer").path("text"), 2048)
                    + limit(faults, "embeds.author.name", embed.path("author").path("name"), 256);
            if (embed.path("fields").size() > 25) {
                faults.add("embeds.fields: Must be 25 or fewer in length.");
            }
            for (JsonNode field : embed.path("fields")) {
                total += limit(faults, "embeds.fields.name", field.path("name"), 256) + limit(faults, "embeds.fields.value", field.path("value"), 1024);
            }
        }
        if (total > 6000) {
            faults.add("embeds: Embed size exceeds maximum size of 6000");
        }
        return faults.isEmpty() ? null : invalid("embeds", String.join("; ", faults));
    }

    private static int limit(List<String> faults, String name, JsonNode text, int max) {
        int length = text.isTextual() ? text.asText().length() : 0;
        if (length > max) {
            faults.add(name + ": Must be " + max + " or fewer in length.");
        }
        return length;
    }

    private static WebhookReceiver.Reply invalid(String field, String message) {
        ObjectNode answer = JSON.createObjectNode().put("message", "Invalid Form Body").put("code", 50035);
        answer.putObject("errors").putObject(field).putArray("_errors").addObject().put("code", "BASE_TYPE_INVALID").put("message", message);
        return new WebhookReceiver.Reply(400, answer.toString(), Map.of());
    }

    /** Execute's answer to a message it takes: the saved message under {@code wait=true}, else 204 (queued). */
    static WebhookReceiver.Reply saved(String query, JsonNode body, String path, long messageId) {
        if (query == null || !List.of(query.split("&")).contains("wait=true")) {
            return WebhookReceiver.Reply.NO_CONTENT;
        }
        String[] segments = path.split("/");
        ObjectNode message = JSON.createObjectNode().put("id", String.valueOf(messageId)).put("type", 0).put("channel_id", "1")
                .put("webhook_id", segments.length > 3 ? segments[segments.length - 2] : "0").put("content", body.path("content").asText(""));
        message.set("embeds", body.path("embeds"));
        return new WebhookReceiver.Reply(200, message.toString(), Map.of());
    }
}
