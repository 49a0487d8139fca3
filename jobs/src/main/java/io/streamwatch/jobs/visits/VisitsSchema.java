package io.streamwatch.jobs.visits;

import org.apache.spark.sql.types.StructType;

/**
 * The visits tables' columns: {@code flat} (the lag detector's) or {@code nested} (the SLA detector's, as the
 * generator writes visits to Kafka), plus the quarantine table of the synchronizer.
 */
public enum VisitsSchema {
    flat("visit_id STRING NOT NULL, event_time TIMESTAMP NOT NULL, user_id STRING NOT NULL, page STRING NOT NULL"),
    nested("visit_id STRING NOT NULL, event_time TIMESTAMP NOT NULL, user_id STRING NOT NULL, page STRING NOT NULL, "
            + "context STRUCT<referral: STRING, ad_id: STRING, "
            + "user: STRUCT<ip: STRING, login: STRING, connected_since: TIMESTAMP>, "
            + "technical: STRUCT<browser: STRING, browser_version: STRING, network_type: STRING, device_type: STRING, "
            + "device_version: STRING>>");

    /** Records that are not valid visits, with where they came from and why they were refused. */
    public static final String QUARANTINE_COLUMNS = "raw_value STRING, topic STRING NOT NULL, `partition` INT NOT NULL, "
            + "`offset` BIGINT NOT NULL, kafka_timestamp TIMESTAMP, reason STRING NOT NULL, quarantined_at TIMESTAMP NOT NULL";

    private final String columns;

    VisitsSchema(String columns) {
        this.columns = columns;
    }

    public String columns() {
        return columns;
    }

    /** The schema as Spark reads it (NOT NULL becomes nullable = false). */
    public StructType structType() {
        return StructType.fromDDL(columns.replace(" NOT NULL", ""));
    }
}
