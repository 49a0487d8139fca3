package io.streamwatch.jobs.spikes;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.streamwatch.jobs.common.KafkaQuarantine;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.sql.Timestamp;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * The {@code customer_events} records checked strictly (a JSON object, an integral {@code customer_id}, the
 * strings, {@code event_ts} in Unix seconds): each one either a row of {@code fct_customer_events} or a quarantined
 * record with the reason of its first fault.
 */
final class DeploymentEvents {
    static final String COLUMNS = "customer_id BIGINT NOT NULL, customer_name STRING, deployment_type STRING NOT NULL, "
            + "event_type STRING NOT NULL, organization STRING NOT NULL, event_ts BIGINT NOT NULL, "
            + "topic STRING NOT NULL, `partition` INT NOT NULL, `offset` BIGINT NOT NULL";
    static final StructType CHECKED = new StructType()
            .add("customer_id", DataTypes.LongType)
            .add("customer_name", DataTypes.StringType)
            .add("deployment_type", DataTypes.StringType)
            .add("event_type", DataTypes.StringType)
            .add("organization", DataTypes.StringType)
            .add("event_ts", DataTypes.LongType)
            .add("topic", DataTypes.StringType)
            .add("partition", DataTypes.IntegerType)
            .add("offset", DataTypes.LongType)
            .add("key", DataTypes.StringType)
            .add("value", DataTypes.StringType)
            .add("timestamp", DataTypes.TimestampType)
            .add("reason", DataTypes.StringType);
    private static final Set<String> REQUIRED_TEXT = Set.of("deployment_type", "event_type", "organization");

    private final Dataset<Row> checked;

    /** {@code records}: the Kafka source's columns. */
    DeploymentEvents(Dataset<Row> records) {
        this.checked = records.select("key", "value", "topic", "partition", "offset", "timestamp")
                .mapPartitions((MapPartitionsFunction<Row, Row>) DeploymentEvents::check, Encoders.row(CHECKED));
    }

    Dataset<Row> checked() {
        return checked;
    }

    Dataset<Row> valid() {
        return checked.where("reason IS NULL").selectExpr("customer_id", "customer_name", "deployment_type", "event_type",
                "organization", "event_ts", "topic", "`partition`", "`offset`");
    }

    /** In {@link KafkaQuarantine#SCHEMA}. */
    Dataset<Row> quarantined() {
        return checked.where("reason IS NOT NULL").selectExpr("key", "value", "topic", "`partition`", "`offset`", "timestamp", "reason");
    }

    private static Iterator<Row> check(Iterator<Row> records) {
        ObjectMapper json = new ObjectMapper();
        List<Row> out = new ArrayList<>();
        records.forEachRemaining(record -> out.add(check(json, record)));
        return out.iterator();
    }

    static Row check(ObjectMapper json, Row record) {
        byte[] keyBytes = record.getAs("key");
        byte[] valueBytes = record.getAs("value");
        String key = keyBytes == null ? null : new String(keyBytes, StandardCharsets.UTF_8);
        String value = valueBytes == null ? null : new String(valueBytes, StandardCharsets.UTF_8);
        String topic = record.getAs("topic");
        int partition = record.getAs("partition");
        long offset = record.getAs("offset");
        Timestamp timestamp = record.getAs("timestamp");
        String reason = null;
        JsonNode event = null;
        try {
            event = value == null ? null : json.readTree(value);
        } catch (IOException e) {
            reason = "not JSON";
        }
        if (reason == null) {
            reason = fault(event);
        }
        if (reason != null) {
            return RowFactory.create(null, null, null, null, null, null, topic, partition, offset, key, value, timestamp, reason);
        }
        JsonNode name = event.get("customer_name");
        return RowFactory.create(event.get("customer_id").asLong(), name == null || name.isNull() ? null : name.asText(),
                event.get("deployment_type").asText(), event.get("event_type").asText(), event.get("organization").asText(),
                event.get("event_ts").asLong(), topic, partition, offset, key, value, timestamp, null);
    }

    private static String fault(JsonNode event) {
        if (event == null || !event.isObject()) {
            return "not a JSON object";
        }
        JsonNode customer = event.get("customer_id");
        if (customer == null || customer.isNull()) {
            return "missing required field customer_id";
        }
        if (!customer.isIntegralNumber() || !customer.canConvertToLong()) {
            return "field customer_id must be an integer, was " + kind(customer);
        }
        for (String field : REQUIRED_TEXT) {
            JsonNode text = event.get(field);
            if (text == null || text.isNull()) {
                return "missing required field " + field;
            }
            if (!text.isTextual() || text.asText().isBlank()) {
                return "field " + field + " must be a non-empty string, was " + kind(text);
            }
        }
        JsonNode name = event.get("customer_name");
        if (name != null && !name.isNull() && !name.isTextual()) {
            return "field customer_name must be a string, was " + kind(name);
        }
        JsonNode ts = event.get("event_ts");
        if (ts == null || ts.isNull()) {
            return "missing required field event_ts";
        }
        if (!ts.isIntegralNumber() || !ts.canConvertToLong() || ts.asLong() < 0) {
            return "field event_ts must be Unix seconds (a non-negative integer), was " + kind(ts);
        }
        return null;
    }

    private static String kind(JsonNode node) {
        return node.isTextual() ? "a string" : node.isNumber() ? "the number " + node.asText() : "a " + node.getNodeType().name().toLowerCase(Locale.ROOT);
    }
}
