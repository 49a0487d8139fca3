package io.streamwatch.jobs;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.current_timestamp;
import static org.apache.spark.sql.functions.expr;
import static org.apache.spark.sql.functions.from_json;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.when;

import java.util.Map;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * Splits Kafka records into valid visits and quarantined records, each quarantined record with the reason:
 * not JSON, fields of the wrong type, or a missing required field.
 */
final class VisitsValidation {
    private static final String CORRUPT = "_corrupt_record";
    private static final String[] REQUIRED = {"visit_id", "event_time", "user_id", "page"};

    private final Dataset<Row> checked;

    /** @param records Kafka records: value, topic, partition, offset, timestamp */
    VisitsValidation(Dataset<Row> records) {
        StructType schema = VisitsSchema.nested.structType().add(CORRUPT, DataTypes.StringType);
        Dataset<Row> parsed = records
                .withColumn("raw_value", col("value").cast("string"))
                .withColumn("visit", from_json(col("raw_value"), schema, Map.of("mode", "PERMISSIVE", "columnNameOfCorruptRecord", CORRUPT)));
        this.checked = parsed.withColumn("reason", reason());
    }

    private static Column reason() {
        Column reason = when(col("raw_value").isNull(), lit("empty record"))
                .when(expr("json_object_keys(raw_value)").isNull(), lit("not a JSON object"))
                .when(col("visit." + CORRUPT).isNotNull(), lit("fields of the wrong type"));
        for (String field : REQUIRED) {
            reason = reason.when(col("visit." + field).isNull(), lit("missing required field " + field));
        }
        return reason;
    }

    /** Every record with its parsed visit and the reason it is refused (null when valid): cache it for both writes. */
    Dataset<Row> checked() {
        return checked;
    }

    Dataset<Row> validVisits() {
        return checked.where(col("reason").isNull()).select("visit.*").drop(CORRUPT);
    }

    Dataset<Row> quarantined() {
        return checked.where(col("reason").isNotNull()).select(
                col("raw_value"), col("topic"), col("partition"), col("offset"),
                col("timestamp").as("kafka_timestamp"), col("reason"), current_timestamp().as("quarantined_at"));
    }
}
