package io.streamwatch.jobs.sla;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.current_timestamp;
import static org.apache.spark.sql.functions.from_json;
import static org.apache.spark.sql.functions.udf;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.streamwatch.jobs.visits.VisitsSchema;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.Locale;
import java.util.Map;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.api.java.UDF1;
import org.apache.spark.sql.expressions.UserDefinedFunction;
import org.apache.spark.sql.types.DataTypes;

/**
 * Splits Kafka records into valid visits and quarantined records, each quarantined record with the reason of
 * its first fault: not JSON, not an object, a missing or empty required field, a field of the wrong JSON type
 * (a number or an array where a string belongs: Spark's JSON reader would quietly turn {@code 42} into
 * {@code "42"}), or a timestamp that is not ISO-8601 with a zone (a zoneless or lenient one would be read in the
 * session's time zone, or not at all).
 */
final class VisitsValidation {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String[] REQUIRED_TEXT = {"visit_id", "user_id", "page"};
    private static final String[] CONTEXT_TEXT = {"referral", "ad_id"};
    private static final String[] USER_TEXT = {"ip", "login"};
    private static final String[] TECHNICAL_TEXT = {"browser", "browser_version", "network_type", "device_type", "device_version"};
    private static final UserDefinedFunction REASON = udf((UDF1<String, String>) VisitsValidation::reasonOf, DataTypes.StringType);

    private final Dataset<Row> checked;

    /** @param records Kafka records: value, topic, partition, offset, timestamp */
    VisitsValidation(Dataset<Row> records) {
        Dataset<Row> raw = records.withColumn("raw_value", col("value").cast("string"));
        this.checked = raw
                .withColumn("reason", REASON.apply(col("raw_value")))
                .withColumn("visit", from_json(col("raw_value"), VisitsSchema.nested.structType(), Map.of("mode", "PERMISSIVE")));
    }

    /** Why the record is not a valid visit, or null when it is one. */
    static String reasonOf(String raw) {
        if (raw == null) {
            return "empty record";
        }
        JsonNode visit;
        try {
            visit = JSON.readTree(raw);
        } catch (JsonProcessingException e) {
            return "not JSON";
        }
        if (visit == null || !visit.isObject()) {
            return "not a JSON object";
        }
        String fault = requiredText(visit, "visit_id");
        if (fault == null) {
            fault = timestamp(visit, "event_time", "event_time", true);
        }
        for (int i = 1; fault == null && i < REQUIRED_TEXT.length; i++) {
            fault = requiredText(visit, REQUIRED_TEXT[i]);
        }
        return fault != null ? fault : context(visit.get("context"));
    }

    private static String context(JsonNode context) {
        if (context == null || context.isNull()) {
            return null;
        }
        if (!context.isObject()) {
            return wrongType("context", "an object", context);
        }
        String fault = optionalTexts(context, "context.", CONTEXT_TEXT);
        JsonNode user = context.get("user");
        if (fault == null && user != null && !user.isNull()) {
            fault = user.isObject() ? optionalTexts(user, "context.user.", USER_TEXT) : wrongType("context.user", "an object", user);
            if (fault == null && user.isObject()) {
                fault = timestamp(user, "connected_since", "context.user.connected_since", false);
            }
        }
        JsonNode technical = context.get("technical");
        if (fault == null && technical != null && !technical.isNull()) {
            fault = technical.isObject() ? optionalTexts(technical, "context.technical.", TECHNICAL_TEXT)
                    : wrongType("context.technical", "an object", technical);
        }
        return fault;
    }

    private static String requiredText(JsonNode parent, String field) {
        JsonNode value = parent.get(field);
        if (value == null || value.isNull()) {
            return "missing required field " + field;
        }
        if (!value.isTextual()) {
            return wrongType(field, "a string", value);
        }
        return value.asText().isBlank() ? "field " + field + " must not be empty" : null;
    }

    private static String optionalTexts(JsonNode parent, String prefix, String[] fields) {
        for (String field : fields) {
            JsonNode value = parent.get(field);
            if (value != null && !value.isNull() && !value.isTextual()) {
                return wrongType(prefix + field, "a string", value);
            }
        }
        return null;
    }

    private static String timestamp(JsonNode parent, String field, String path, boolean required) {
        JsonNode value = parent.get(field);
        if (value == null || value.isNull()) {
            return required ? "missing required field " + path : null;
        }
        if (!value.isTextual()) {
            return wrongType(path, "a string", value);
        }
        try {
            OffsetDateTime.parse(value.asText());
            return null;
        } catch (DateTimeParseException e) {
            String shown = value.asText().length() > 40 ? value.asText().substring(0, 40) + "..." : value.asText();
            return "field " + path + " must be an ISO-8601 timestamp with a zone, was '" + shown + "'";
        }
    }

    private static String wrongType(String path, String expected, JsonNode value) {
        return "field " + path + " must be " + expected + ", was " + switch (value.getNodeType()) {
            case ARRAY -> "an array";
            case OBJECT -> "an object";
            case NUMBER -> "a number";
            case BOOLEAN -> "a boolean";
            default -> "a " + value.getNodeType().name().toLowerCase(Locale.ROOT);
        };
    }

    /** Every record with its parsed visit and the reason it is refused (null when valid): cache it for both writes. */
    Dataset<Row> checked() {
        return checked;
    }

    Dataset<Row> validVisits() {
        return checked.where(col("reason").isNull()).select("visit.*");
    }

    Dataset<Row> quarantined() {
        return checked.where(col("reason").isNotNull()).select(
                col("raw_value"), col("topic"), col("partition"), col("offset"),
                col("timestamp").as("kafka_timestamp"), col("reason"), current_timestamp().as("quarantined_at"));
    }
}
