package io.streamwatch.listeners;

import org.apache.spark.sql.streaming.StreamingQueryListener;

/**
 * Somebody else's listener that takes its time on every event (the workload of the overflow test): it shares
 * Spark's {@code streams} queue with streamwatch's listeners, and the queue fills behind it.
 */
public class SlowThirdPartyListener extends StreamingQueryListener {
    private static final long SLOW_MILLIS = 300;

    @Override
    public void onQueryStarted(QueryStartedEvent event) {
        takeItsTime();
    }

    @Override
    public void onQueryProgress(QueryProgressEvent event) {
        takeItsTime();
    }

    @Override
    public void onQueryIdle(QueryIdleEvent event) {
        takeItsTime();
    }

    @Override
    public void onQueryTerminated(QueryTerminatedEvent event) {
    }

    private static void takeItsTime() {
        try {
            Thread.sleep(SLOW_MILLIS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
