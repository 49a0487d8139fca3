package io.streamwatch.listeners;

import java.time.Duration;
import java.util.Collection;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;
import org.apache.spark.sql.streaming.StreamingQueryListener;
import org.apache.spark.sql.streaming.StreamingQueryProgress;
import org.apache.spark.util.ShutdownHookManager;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import scala.runtime.AbstractFunction0;
import scala.runtime.BoxedUnit;

/**
 * The common ground of streamwatch's listeners: the settings, a shared non-blocking publisher, one
 * Pushgateway group per query ({@code job} plus {@code query}) in which each listener owns its metrics, and
 * callbacks that never throw.
 */
public abstract class PushingListener extends StreamingQueryListener {
    private static final Logger LOG = LoggerFactory.getLogger(PushingListener.class);
    /** After the SparkContext has stopped (priority 50) and delivered its last events, before temp dirs go (25). */
    private static final int FLUSH_ON_EXIT_PRIORITY = 40;
    private static final Set<PushgatewayPublisher> FLUSHED_ON_EXIT = ConcurrentHashMap.newKeySet();

    private final String job;
    private final Optional<PushgatewayPublisher> publisher;
    private final Set<String> reportedFailures = ConcurrentHashMap.newKeySet();
    private final Map<java.util.UUID, String> queryNames = new ConcurrentHashMap<>();

    protected PushingListener(StreamwatchSettings settings, String defaultJob) {
        this.job = settings.jobOr(defaultJob);
        this.publisher = settings.pushgatewayAddress().map(PushgatewayPublisher::shared);
        if (publisher.isEmpty()) {
            LOG.warn("{}: {} is not set; this listener pushes nothing", getClass().getSimpleName(),
                    StreamwatchSettings.PUSHGATEWAY_ADDRESS);
        }
        publisher.ifPresent(p -> flushOnExit(p, settings.flushTimeout()));
    }

    public String job() {
        return job;
    }

    /** The group of a query: its name, or its id when it has none. */
    protected PushGroup groupOf(String queryName, java.util.UUID queryId) {
        return new PushGroup(job, Map.of("query", queryName == null || queryName.isBlank() ? queryId.toString() : queryName));
    }

    protected PushGroup groupOf(StreamingQueryProgress progress) {
        return groupOf(progress.name(), progress.id());
    }

    protected PushGroup groupOf(QueryTerminatedEvent event) {
        return groupOf(queryNames.remove(event.id()), event.id());
    }

    protected PushGroup groupOf(QueryStartedEvent event) {
        return groupOf(event.name(), event.id());
    }

    /** Replaces this listener's part of the group: its own metrics, beside those of the query's other listeners. */
    protected final void publish(PushGroup group, Supplier<Collection<MetricSample>> snapshot) {
        publisher.ifPresent(p -> p.publish(group, part(), snapshot));
    }

    /** Removes this listener's metrics from the group (the group goes with its last listener's). */
    protected final void remove(PushGroup group) {
        publisher.ifPresent(p -> p.remove(group, part()));
    }

    private String part() {
        return getClass().getName();
    }

    /** Runs a callback's body; what it throws is logged (once per kind of failure) and never reaches Spark. */
    protected final void guarded(String callback, Runnable body) {
        try {
            body.run();
        } catch (Throwable t) {
            if (reportedFailures.add(callback + ":" + t.getClass().getName())) {
                LOG.warn("{}.{} failed; the query goes on without these metrics", getClass().getSimpleName(), callback, t);
            }
        }
    }

    /**
     * Remembers the query's name (the termination event has none). Listeners that override this call super.
     */
    @Override
    public void onQueryStarted(QueryStartedEvent event) {
        if (event.name() != null) {
            queryNames.put(event.id(), event.name());
        }
    }

    @Override
    public void onQueryIdle(QueryIdleEvent event) {
    }

    @Override
    public void onQueryTerminated(QueryTerminatedEvent event) {
    }

    /** For listeners whose series mean "this query is running": a graceful stop removes them. */
    protected final void removeOnGracefulStop(QueryTerminatedEvent event) {
        guarded("onQueryTerminated", () -> {
            if (event.exception().isEmpty()) {
                remove(groupOf(event));
            }
        });
    }

    private static void flushOnExit(PushgatewayPublisher publisher, Duration timeout) {
        if (!FLUSHED_ON_EXIT.add(publisher)) {
            return;
        }
        ShutdownHookManager.addShutdownHook(FLUSH_ON_EXIT_PRIORITY, new AbstractFunction0<BoxedUnit>() {
            @Override
            public BoxedUnit apply() {
                if (!publisher.flush(timeout)) {
                    LOG.warn("Pushgateway {}: the last values were not delivered within {}",
                            PushgatewayPublisher.redactedAddress(publisher.address()), timeout);
                }
                return BoxedUnit.UNIT;
            }
        });
    }
}
