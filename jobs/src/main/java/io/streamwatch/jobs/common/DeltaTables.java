package io.streamwatch.jobs.common;

import java.io.IOException;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.SparkSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Creates the jobs' Delta tables when missing. When another job creates the same table at the same moment (two
 * jobs starting on one table), Delta refuses ours (a concurrent commit, or a folder not yet a table): after a
 * short wait the other's table is there and kept.
 */
public final class DeltaTables {
    private static final Logger LOG = LoggerFactory.getLogger(DeltaTables.class);
    private static final int CREATE_ATTEMPTS = 5;

    private DeltaTables() {
    }

    /** A table at a path; one that has a commit already is left as it is, without planning any SQL (a restart's common case). */
    public static void createIfMissing(SparkSession spark, String path, String columns, String properties) {
        if (hasCommit(spark, path)) {
            return;
        }
        createIfMissing(spark, "delta.`" + path + "`", "path " + path, columns, properties);
    }

    private static boolean hasCommit(SparkSession spark, String path) {
        try {
            Path log = new Path(path, "_delta_log");
            FileSystem fs = log.getFileSystem(spark.sessionState().newHadoopConf());
            return fs.exists(new Path(log, String.format("%020d.json", 0)));
        } catch (IOException | IllegalArgumentException e) {
            return false;
        }
    }

    /** {@code sqlName}: a catalog name or {@code delta.`path`}; {@code properties}: the TBLPROPERTIES list. */
    public static void createIfMissing(SparkSession spark, String sqlName, String description, String columns, String properties) {
        String create = "CREATE TABLE IF NOT EXISTS " + sqlName + " (" + columns + ") USING delta TBLPROPERTIES (" + properties + ")";
        for (int attempt = 1; ; attempt++) {
            try {
                spark.sql(create);
                return;
            } catch (Exception e) { // AnalysisException is checked for Java but thrown by Scala
                if (attempt == CREATE_ATTEMPTS) {
                    throw e;
                }
                LOG.info("{} is being created by another job ({}); trying again", description, e.getClass().getSimpleName());
                try {
                    Thread.sleep(250L * attempt);
                } catch (InterruptedException interrupted) {
                    Thread.currentThread().interrupt();
                    throw e;
                }
            }
        }
    }
}
