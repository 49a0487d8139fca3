package io.streamwatch.jobs.common;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeoutException;
import org.apache.spark.SparkConf;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.streaming.StreamingQuery;
import org.apache.spark.sql.streaming.StreamingQueryListener;

/**
 * The one place where jobs get their SparkSession: Delta enabled, and local mode only when spark-submit (or
 * {@code -Dspark.master}) has not chosen a master.
 */
public final class SparkSessions {
    static final String LOCAL_DEFAULT_MASTER = "local[*]";

    private SparkSessions() {
    }

    public static SparkSession getOrCreate(String appName) {
        scala.Option<SparkSession> running = SparkSession.getDefaultSession();
        if (running.isDefined()) {
            return running.get();
        }
        SparkConf conf = new SparkConf();
        SparkSession.Builder builder = SparkSession.builder().appName(appName);
        if (!conf.contains("spark.master")) {
            builder.config("spark.master", LOCAL_DEFAULT_MASTER);
        }
        if (conf.get("spark.master", LOCAL_DEFAULT_MASTER).startsWith("local")) {
            // One JVM's cores: Delta's 50 partitions for a table's state and Spark's 200 for a shuffle are tasks that cost
            // more than they work.
            builder.config("spark.sql.shuffle.partitions", conf.get("spark.sql.shuffle.partitions", "4"));
            builder.config("spark.databricks.delta.snapshotPartitions", conf.get("spark.databricks.delta.snapshotPartitions", "2"));
        }
        if (!conf.contains("spark.scheduler.mode")) {
            // A job's work off its query's path (the alarms' recorder) runs in a pool of its own and takes a fair share of
            // the cores, never all of them ahead of the next micro-batch.
            builder.config("spark.scheduler.mode", "FAIR");
        }
        if (!conf.contains("spark.sql.extensions")) {
            builder.config("spark.sql.extensions", "io.delta.sql.DeltaSparkSessionExtension");
        }
        if (!conf.contains("spark.sql.catalog.spark_catalog")) {
            builder.config("spark.sql.catalog.spark_catalog", "org.apache.spark.sql.delta.catalog.DeltaCatalog");
        }
        return builder.getOrCreate();
    }

    /**
     * Adds the listeners to the session, except those whose class {@code spark.sql.streaming.streamingQueryListeners}
     * already attached (so configuration and code never push twice); returns the ones added, to remove at the end.
     */
    public static List<StreamingQueryListener> attachUnlessConfigured(SparkSession spark, List<? extends StreamingQueryListener> listeners) {
        String configured = spark.sparkContext().getConf().get("spark.sql.streaming.streamingQueryListeners", "");
        List<StreamingQueryListener> attached = new ArrayList<>();
        for (StreamingQueryListener listener : listeners) {
            if (!configured.contains(listener.getClass().getName())) {
                spark.streams().addListener(listener);
                attached.add(listener);
            }
        }
        return attached;
    }

    /** The running streaming query of that name, if any (to stop a --continuous job run in this JVM). */
    public static Optional<StreamingQuery> activeQuery(SparkSession spark, String queryName) {
        return Arrays.stream(spark.streams().active()).filter(query -> queryName.equals(query.name())).findFirst();
    }

    /** Stops the query as {@code query.stop()} does: gracefully, its listeners told it was stopped on purpose. */
    public static void stop(StreamingQuery query) {
        try {
            query.stop();
        } catch (TimeoutException e) {
            throw new IllegalStateException("query " + query.name() + " did not stop: " + e.getMessage(), e);
        }
    }

    public static void detach(SparkSession spark, List<StreamingQueryListener> listeners) {
        listeners.forEach(spark.streams()::removeListener);
    }

    /**
     * Waits until Spark has handed every event posted so far to the listeners, e.g. a stopped query's last
     * progress, so that what the listeners publish about it can then be flushed.
     */
    public static void awaitListeners(SparkSession spark, Duration timeout) {
        try {
            spark.sparkContext().listenerBus().waitUntilEmpty(timeout.toMillis());
        } catch (TimeoutException e) {
            throw new IllegalStateException("Spark's listeners did not catch up within " + timeout, e);
        }
    }
}
