package io.streamwatch.jobs.sla;

import static org.apache.spark.sql.functions.coalesce;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.current_timestamp;
import static org.apache.spark.sql.functions.from_json;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.udf;
import static org.apache.spark.sql.functions.when;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.streamwatch.jobs.visits.VisitsSchema;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.Locale;
import java.util.Map;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.api.java.UDF1;
import org.apache.spark.sql.expressions.UserDefinedFunction;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

/**
 * Splits Kafka records into valid visits and quarantined records, each quarantined record with the reason of
 * its first fault: not JSON, not an object, a missing or empty required field, a field of the wrong JSON type
 * (a number or an array where a string belongs: Spark's JSON reader would quietly turn {@code 42} into
 * {@code "42"}), or a timestamp that is not ISO-8601 with a zone, or lies outside the years 1900 to 9999 (UTC; Parquet
 * writes older instants only with a calendar rebase, later ones not at all) (a zoneless
 * or lenient one would be read in the session's time zone, or not at all).
 *
 * <p>One parser decides: Spark's JSON reader reads the timestamps as text and the validator's own parse
 * ({@link OffsetDateTime}) turns them into the instants written, so a record the validator accepts always fills every
 * required column with the instant its text spells, and no spelling can fail a batch inside Spark's datetime parser. A
 * required column still empty after the read is quarantined too, whatever the validator thought.
 */
final class VisitsValidation {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Instant FIRST = Instant.parse("1900-01-01T00:00:00Z");
    private static final Instant AFTER_LAST = Instant.parse("+10000-01-01T00:00:00Z");
    private static final String[] REQUIRED_TEXT = {"visit_id", "user_id", "page"};
    private static final String[] CONTEXT_TEXT = {"referral", "ad_id"};
    private static final String[] USER_TEXT = {"ip", "login"};
    private static final String[] TECHNICAL_TEXT = {"browser", "browser_version", "network_type", "device_type", "device_version"};
    private static final String[] REQUIRED_COLUMNS = {"visit_id", "event_time", "user_id", "page"};
    private static final UserDefinedFunction REASON = udf((UDF1<String, String>) VisitsValidation::reasonOf, DataTypes.StringType);
    private static final UserDefinedFunction INSTANT = udf((UDF1<String, Instant>) VisitsValidation::instantOf, DataTypes.TimestampType);

    private final Dataset<Row> checked;

    /** @param records Kafka records: value, topic, partition, offset, timestamp */
    VisitsValidation(Dataset<Row> records) {
        Column text = from_json(col("raw_value"), asText(VisitsSchema.nested.structType()), Map.of("mode", "PERMISSIVE"));
        Column visit = text.withField("event_time", INSTANT.apply(text.getField("event_time")))
                .withField("context.user.connected_since", INSTANT.apply(text.getField("context").getField("user").getField("connected_since")));
        Dataset<Row> read = records.withColumn("raw_value", col("value").cast("string"))
                .withColumn("visit", visit);
        Column unread = lit(null).cast("string");
        for (int i = REQUIRED_COLUMNS.length - 1; i >= 0; i--) {
            unread = when(col("visit." + REQUIRED_COLUMNS[i]).isNull(), lit("field " + REQUIRED_COLUMNS[i] + " could not be read")).otherwise(unread);
        }
        this.checked = read.withColumn("reason", coalesce(REASON.apply(col("raw_value")), unread));
    }

    /** The schema with every timestamp read as text, for {@link #instantOf} to turn into the instant. */
    static StructType asText(StructType schema) {
        StructType text = new StructType();
        for (StructField field : schema.fields()) {
            DataType type = field.dataType() instanceof StructType nested ? asText(nested)
                    : field.dataType().equals(DataTypes.TimestampType) ? DataTypes.StringType : field.dataType();
            text = text.add(field.name(), type, true);
        }
        return text;
    }

    /** The instant a timestamp's text spells, as the validator reads it; null when it reads none. */
    static Instant instantOf(String text) {
        if (text == null) {
            return null;
        }
        try {
            Instant instant = OffsetDateTime.parse(text).toInstant();
            return instant.isBefore(FIRST) || !instant.isBefore(AFTER_LAST) ? null : instant;
        } catch (DateTimeParseException e) {
            return null;
        }
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
        String shown = value.asText().length() > 40 ? value.asText().substring(0, 40) + "..." : value.asText();
        try {
            OffsetDateTime.parse(value.asText());
        } catch (DateTimeParseException e) {
            return "field " + path + " must be an ISO-8601 timestamp with a zone, was '" + shown + "'";
        }
        return instantOf(value.asText()) == null ? "field " + path + " must lie in the years 1900 to 9999 (UTC), was '" + shown + "'" : null;
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

    /** The valid visits, each with its record's {@code topic}, {@code partition} and {@code offset}. */
    Dataset<Row> validVisits() {
        return checked.where(col("reason").isNull()).select(col("visit.*"), col("topic"), col("partition"), col("offset"));
    }

    Dataset<Row> quarantined() {
        return checked.where(col("reason").isNotNull()).select(
                col("raw_value"), col("topic"), col("partition"), col("offset"),
                col("timestamp").as("kafka_timestamp"), col("reason"), current_timestamp().as("quarantined_at"));
    }
}
