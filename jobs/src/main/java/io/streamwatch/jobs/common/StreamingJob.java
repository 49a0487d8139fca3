package io.streamwatch.jobs.common;

import java.time.Duration;
import java.util.List;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.streaming.StreamingQuery;
import org.apache.spark.sql.streaming.StreamingQueryListener;
import org.slf4j.Logger;

/**
 * The run every streaming job shares: its listeners attached (unless the configuration attached them already), the
 * job's body, then, however it ends, the listeners' last events awaited, the last values flushed to the Pushgateway
 * and the listeners detached. The body starts its query and waits with {@link #awaitUntilStopped}, which a SIGTERM
 * ends as {@code query.stop()} would.
 */
public final class StreamingJob {
    /** What a job does between attaching its listeners and flushing their last values. */
    public interface Body {
        void run() throws Exception;
    }

    private static final Duration LISTENERS_TIMEOUT = Duration.ofSeconds(30);

    private StreamingJob() {
    }

    public static void run(SparkSession spark, PushOptions push, Logger log, List<? extends StreamingQueryListener> listeners, Body body)
            throws Exception {
        List<StreamingQueryListener> attached = SparkSessions.attachUnlessConfigured(spark, listeners);
        try {
            body.run();
        } finally {
            SparkSessions.awaitListeners(spark, LISTENERS_TIMEOUT);
            push.flush(spark, log);
            SparkSessions.detach(spark, attached);
        }
    }

    /** Waits until the query ends; a SIGTERM stops it gracefully first. */
    public static void awaitUntilStopped(StreamingQuery query) throws Exception {
        awaitUntilStopped(query, () -> SparkSessions.stop(query));
    }

    /** Waits until the query ends; a SIGTERM runs {@code stop} (which must end the query) first. */
    public static void awaitUntilStopped(StreamingQuery query, Runnable stop) throws Exception {
        try (AutoCloseable onSigterm = GracefulStop.whenRequested(stop)) {
            query.awaitTermination();
        }
    }
}
