package io.streamwatch.jobs.notify;

import java.time.Duration;
import java.util.UUID;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.apache.spark.sql.streaming.StreamingQueryListener;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Says so when a running query makes no progress: neither a finished micro-batch nor an idle trigger for the
 * timeout (a batch stuck on a peer that does not answer, a source that cannot be read). Logs once when it starts and once when progress comes back, and calls
 * {@code onChange} each time, so the job can push its health. Callbacks only record the time.
 */
final class ProgressWatchdog extends StreamingQueryListener implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ProgressWatchdog.class);

    private final String queryName;
    private final String source;
    private final Duration timeout;
    private final Runnable onChange;
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(runnable -> {
        Thread thread = new Thread(runnable, "streamwatch-progress-watchdog");
        thread.setDaemon(true);
        return thread;
    });
    private volatile UUID queryId;
    private volatile long lastProgressNanos = System.nanoTime();
    private volatile boolean stalled;

    ProgressWatchdog(String queryName, String source, Duration timeout, Runnable onChange) {
        this.queryName = queryName;
        this.source = source;
        this.timeout = timeout;
        this.onChange = onChange;
        long every = Math.max(100, Math.min(1000, timeout.toMillis() / 10));
        timer.scheduleWithFixedDelay(this::check, every, every, TimeUnit.MILLISECONDS);
    }

    boolean stalled() {
        return stalled;
    }

    @Override
    public void onQueryStarted(QueryStartedEvent event) {
        if (queryName.equals(event.name())) {
            queryId = event.id();
            progressed();
        }
    }

    @Override
    public void onQueryProgress(QueryProgressEvent event) {
        if (event.progress().id().equals(queryId)) {
            progressed();
        }
    }

    @Override
    public void onQueryIdle(QueryIdleEvent event) {
        if (event.id().equals(queryId)) {
            progressed();
        }
    }

    @Override
    public void onQueryTerminated(QueryTerminatedEvent event) {
        if (event.id().equals(queryId)) {
            queryId = null;
        }
    }

    private void progressed() {
        lastProgressNanos = System.nanoTime();
        if (stalled) {
            stalled = false;
            LOG.info("query {} makes progress again on {}", queryName, source);
            onChange.run();
        }
    }

    private void check() {
        try {
            long silentMillis = (System.nanoTime() - lastProgressNanos) / 1_000_000;
            if (queryId != null && !stalled && silentMillis > timeout.toMillis()) {
                stalled = true;
                LOG.warn("query {} has made no progress on {} for {} s while running (PROGRESS_TIMEOUT_MINUTES: {} s): a batch is stuck "
                        + "or the table cannot be read", queryName, source, silentMillis / 1000, timeout.toSeconds());
                onChange.run();
            }
        } catch (RuntimeException e) {
            LOG.debug("watchdog check failed", e);
        }
    }

    @Override
    public void close() {
        timer.shutdownNow();
    }
}
