package io.streamwatch.listeners;

import org.apache.spark.sql.SparkSession;

/** The session the listener tests and benchmarks run their queries in: local[2], Delta, no UI. */
final class LocalSparkSessions {
    private LocalSparkSessions() {
    }

    static SparkSession.Builder withDelta(String appName) {
        return SparkSession.builder().master("local[2]").appName(appName)
                .config("spark.sql.extensions", "io.delta.sql.DeltaSparkSessionExtension")
                .config("spark.sql.catalog.spark_catalog", "org.apache.spark.sql.delta.catalog.DeltaCatalog")
                .config("spark.sql.shuffle.partitions", "2")
                .config("spark.ui.enabled", "false");
    }
}
