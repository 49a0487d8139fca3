package io.streamwatch.jobs.common;

import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * The quarantine of a job reading Kafka records that are not what it expects (the alarms job's metrics, the
 * deployment events): the raw key and value, the Kafka coordinates, the reason, and the query and micro-batch
 * that wrote the row (its idempotence key).
 */
public final class KafkaQuarantine {
    /** The columns a job's quarantined rows carry, before the query and batch ids are added. */
    public static final StructType SCHEMA = new StructType()
            .add("key", DataTypes.StringType)
            .add("value", DataTypes.StringType)
            .add("topic", DataTypes.StringType, false)
            .add("partition", DataTypes.IntegerType, false)
            .add("offset", DataTypes.LongType, false)
            .add("timestamp", DataTypes.TimestampType)
            .add("reason", DataTypes.StringType, false);
    static final String COLUMNS = "key STRING, value STRING, topic STRING NOT NULL, `partition` INT NOT NULL, "
            + "`offset` BIGINT NOT NULL, timestamp TIMESTAMP, reason STRING NOT NULL, query_id STRING NOT NULL, batch_id BIGINT NOT NULL";

    private KafkaQuarantine() {
    }

    public static void createIfMissing(SparkSession spark, String path) {
        DeltaTables.createIfMissing(spark, path, COLUMNS, "'delta.appendOnly' = 'true'");
    }
}
