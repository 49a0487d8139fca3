package io.streamwatch.rules;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Reads rules from JSON, the API's bodies and the topic's records alike, with one message per bad field, so that
 * nothing malformed reaches the topic and nothing malformed in it (written by another tool) is matched.
 */
public final class RuleJson {
    public static final ObjectMapper JSON = new ObjectMapper()
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);
    static final int MAX_METRIC_NAME_LENGTH = 1000;
    private static final Set<String> FIELDS = Set.of("id", "metric_name", "threshold", "discord_webhook_url", "operator",
            "cooldown_seconds", "notify_resolved");

    /** A rule, or why not: one message per bad field. */
    public record Parsed(Optional<Rule> rule, List<String> errors) {
        static Parsed of(Rule rule) {
            return new Parsed(Optional.of(rule), List.of());
        }

        static Parsed invalid(List<String> errors) {
            return new Parsed(Optional.empty(), List.copyOf(errors));
        }
    }

    /** A body that is not a JSON object: answered 400, unlike a bad field (422). */
    public static final class NotJson extends Exception {
        NotJson(String message) {
            super(message);
        }
    }

    private RuleJson() {
    }

    /** Parses a request body: a JSON object, or {@link NotJson}. */
    public static ObjectNode object(String body) throws NotJson {
        JsonNode node;
        try {
            node = JSON.readTree(body == null ? "" : body);
        } catch (JsonProcessingException e) {
            throw new NotJson("the body is not JSON: " + e.getOriginalMessage());
        }
        if (node == null || node.isMissingNode() || !node.isObject()) {
            throw new NotJson("the body must be a JSON object");
        }
        return (ObjectNode) node;
    }

    /** The rule of an API body, with this id, its webhook URL under one of the allowed prefixes. */
    public static Parsed fromRequest(ObjectNode body, String id, WebhookPrefixes allowed) {
        List<String> errors = new ArrayList<>();
        body.fieldNames().forEachRemaining(field -> {
            if (!FIELDS.contains(field)) {
                errors.add("unknown field '" + field + "' (fields: metric_name, threshold, discord_webhook_url, operator, "
                        + "cooldown_seconds, notify_resolved)");
            }
        });
        JsonNode givenId = body.get("id");
        if (givenId != null && !(givenId.isTextual() && givenId.asText().equals(id))) {
            errors.add("id is the server's: leave it out, or give the one of the path");
        }
        return read(body, id, Optional.of(allowed), errors);
    }

    /**
     * The rule of a {@code rules} topic record (key = id); empty for a delete (null or empty value).
     * Whose webhook is allowed is the alarms job's decision, when it delivers.
     */
    public static Optional<Parsed> fromRecord(String key, String value) {
        if (value == null || value.isBlank()) {
            return Optional.empty();
        }
        ObjectNode object;
        try {
            object = object(value);
        } catch (NotJson e) {
            return Optional.of(Parsed.invalid(List.of(e.getMessage())));
        }
        if (key == null || key.isEmpty()) {
            return Optional.of(Parsed.invalid(List.of("the record has no key (the rule id)")));
        }
        return Optional.of(read(object, key, Optional.empty(), new ArrayList<>()));
    }

    private static Parsed read(ObjectNode body, String id, Optional<WebhookPrefixes> allowed, List<String> errors) {
        String metricName = null;
        JsonNode name = body.get("metric_name");
        if (name == null || name.isNull()) {
            errors.add("metric_name is required");
        } else if (!name.isTextual() || name.asText().isBlank()) {
            errors.add("metric_name must be a non-empty string");
        } else if (name.asText().length() > MAX_METRIC_NAME_LENGTH) {
            errors.add("metric_name must be at most " + MAX_METRIC_NAME_LENGTH + " characters");
        } else if (name.asText().chars().anyMatch(Character::isISOControl)) {
            errors.add("metric_name must not contain control characters");
        } else {
            metricName = name.asText();
        }

        double threshold = Double.NaN;
        JsonNode thresholdNode = body.get("threshold");
        if (thresholdNode == null || thresholdNode.isNull()) {
            errors.add("threshold is required");
        } else if (!thresholdNode.isNumber() || !Double.isFinite(thresholdNode.asDouble())) {
            errors.add("threshold must be a number");
        } else {
            threshold = thresholdNode.asDouble();
        }

        String url = null;
        JsonNode urlNode = body.get("discord_webhook_url");
        if (urlNode == null || urlNode.isNull()) {
            errors.add("discord_webhook_url is required");
        } else if (!urlNode.isTextual()) {
            errors.add("discord_webhook_url must be a string");
        } else if (allowed.isPresent() && !allowed.get().allows(urlNode.asText())) {
            errors.add("discord_webhook_url must be a URL under one of the allowed prefixes: " + allowed.get().describe());
        } else {
            url = urlNode.asText();
        }

        Operator operator = Operator.GREATER;
        JsonNode operatorNode = body.get("operator");
        if (operatorNode != null && !operatorNode.isNull()) {
            Optional<Operator> parsed = operatorNode.isTextual() ? Operator.of(operatorNode.asText()) : Optional.empty();
            if (parsed.isEmpty()) {
                errors.add("operator must be one of " + Operator.symbols());
            } else {
                operator = parsed.get();
            }
        }

        long cooldownSeconds = 0;
        JsonNode cooldown = body.get("cooldown_seconds");
        if (cooldown != null && !cooldown.isNull()) {
            if (!cooldown.isIntegralNumber() || !cooldown.canConvertToLong() || cooldown.asLong() < 0) {
                errors.add("cooldown_seconds must be a whole number of seconds, 0 or more");
            } else {
                cooldownSeconds = cooldown.asLong();
            }
        }

        boolean notifyResolved = false;
        JsonNode resolved = body.get("notify_resolved");
        if (resolved != null && !resolved.isNull()) {
            if (!resolved.isBoolean()) {
                errors.add("notify_resolved must be true or false");
            } else {
                notifyResolved = resolved.asBoolean();
            }
        }

        if (!errors.isEmpty()) {
            return Parsed.invalid(errors);
        }
        return Parsed.of(new Rule(id, metricName, threshold, url, operator, cooldownSeconds, notifyResolved));
    }
}
