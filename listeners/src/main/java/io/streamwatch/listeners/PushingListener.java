package io.streamwatch.listeners;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.WeakHashMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.streaming.StreamingQueryListener;
import org.apache.spark.sql.streaming.StreamingQueryProgress;
import org.apache.spark.util.ShutdownHookManager;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import scala.runtime.AbstractFunction0;
import scala.runtime.BoxedUnit;

/**
 * The common ground of streamwatch's listeners: the settings, shared non-blocking publishers (to the Pushgateway, and
 * to the driver's scrape endpoint where {@code spark.streamwatch.prometheus.port} is set), one group per query in which each listener owns its metrics, and callbacks that never throw.
 *
 * <p>A query's group is {@code job}, {@code query} (its name, or its id when it has none) and {@code query_id}
 * (the id Spark keeps in the checkpoint): two JVMs running queries of one name on different checkpoints never
 * overwrite or erase each other's series, while a restart of a checkpoint replaces its own.
 *
 * <p>Series that mean "this query is running" ({@link #removedWhenStopped()}) go away when the query stops
 * gracefully and when the JVM shuts down without a crash (SIGTERM on a redeploy): their removal is delivered by
 * the exit flush, before the JVM ends.
 */
public abstract class PushingListener extends StreamingQueryListener {
    private static final Logger LOG = LoggerFactory.getLogger(PushingListener.class);
    /** Before the SparkContext stops (priority 50): the queries still run, and what they leave is removed. */
    private static final int REMOVE_ON_EXIT_PRIORITY = 60;
    /** After the SparkContext has stopped (priority 50) and delivered its last events, before temp dirs go (25). */
    private static final int FLUSH_ON_EXIT_PRIORITY = 40;
    private static final Set<PushgatewayPublisher> FLUSHED_ON_EXIT = ConcurrentHashMap.newKeySet();
    /** The listeners whose series a JVM shutdown removes; weak, so that detached listeners can go. */
    private static final Set<PushingListener> LIVE = Collections.synchronizedSet(
            Collections.newSetFromMap(new WeakHashMap<>()));
    private static final Object EXIT_HOOK = new Object();
    private static final Set<InetSocketAddress> ENDPOINT_WARNINGS = ConcurrentHashMap.newKeySet();
    private static volatile boolean exitHookInstalled;

    private final String job;
    private final MetricNaming naming;
    private final Duration heartbeatInterval;
    /** Every publisher: the Pushgateway's and the driver's scrape endpoint's, as set. */
    private final List<PushgatewayPublisher> publishers;
    private final Set<String> reportedFailures = ConcurrentHashMap.newKeySet();
    /** The running queries this listener has seen start, and their groups. */
    private final Map<UUID, PushGroup> running = new ConcurrentHashMap<>();

    protected PushingListener(StreamwatchSettings settings, String defaultJob) {
        this.naming = settings.naming();
        this.job = settings.jobOr(defaultJob);
        this.heartbeatInterval = settings.heartbeatInterval();
        Optional<PushgatewayPublisher> publisher = publisherOf(settings);
        this.publishers = publishers(publisher, settings);
        publisher.ifPresent(p -> flushOnExit(p, settings.flushTimeout()));
        settings.metricsTopic().ifPresent(topic -> publishers.stream().findFirst().ifPresent(p -> p.addForwarder(MetricsTopicBridge.shared(topic))));
        if (!publishers.isEmpty() && removedWhenStopped()) {
            LIVE.add(this);
            installExitHook();
        }
    }

    private Optional<PushgatewayPublisher> publisherOf(StreamwatchSettings settings) {
        if (settings.pushgateway().isEmpty()) {
            if (settings.scrapeEndpoint().isEmpty()) {
                LOG.warn("{}: neither {} nor {} is set and valid; this listener publishes nothing", getClass().getSimpleName(),
                        StreamwatchSettings.PUSHGATEWAY_ADDRESS, StreamwatchSettings.PROMETHEUS_PORT);
            }
            return Optional.empty();
        }
        try {
            return Optional.of(PushgatewayPublisher.shared(settings.pushgateway().get()));
        } catch (RuntimeException | Error e) {
            LOG.warn("{}: cannot push to {} ({}); this listener pushes nothing", getClass().getSimpleName(),
                    settings.pushgateway().get(), e.getClass().getSimpleName());
            return Optional.empty();
        }
    }

    /** The Pushgateway's publisher and the scrape endpoint's; a port that cannot be bound is one warning per JVM. */
    private static List<PushgatewayPublisher> publishers(Optional<PushgatewayPublisher> pushgateway, StreamwatchSettings settings) {
        List<PushgatewayPublisher> all = new ArrayList<>();
        pushgateway.ifPresent(all::add);
        settings.scrapeEndpoint().ifPresent(address -> {
            try {
                all.add(ScrapeEndpoint.shared(address));
            } catch (IOException | RuntimeException | LinkageError e) {
                if (ENDPOINT_WARNINGS.add(address)) {
                    LOG.warn("cannot serve /metrics on {}:{} ({}); the driver serves nothing to scrape{}", address.getHostString(),
                            address.getPort(), e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + e.getMessage()),
                            pushgateway.isPresent() ? ", pushing goes on" : "");
                }
            }
        });
        return List.copyOf(all);
    }

    public String job() {
        return job;
    }

    protected MetricNaming naming() {
        return naming;
    }

    protected Duration heartbeatInterval() {
        return heartbeatInterval;
    }

    /** The group of a query: job, its name (or id when it has none) and its id. */
    protected PushGroup groupOf(String queryName, UUID queryId) {
        return new PushGroup(job, Map.of(
                "query", queryName == null || queryName.isBlank() ? queryId.toString() : queryName,
                "query_id", queryId.toString()));
    }

    protected PushGroup groupOf(StreamingQueryProgress progress) {
        return groupOf(progress.name(), progress.id());
    }

    /** The group of a running query known by its id alone (idle events carry no name). */
    protected PushGroup groupOf(UUID queryId) {
        PushGroup group = running.get(queryId);
        return group != null ? group : groupOf(null, queryId);
    }

    /** The group of a terminated query; it is no longer running. */
    protected PushGroup groupOf(QueryTerminatedEvent event) {
        PushGroup group = running.remove(event.id());
        return group != null ? group : groupOf(null, event.id());
    }

    /** Replaces this listener's part of the group: its own metrics, beside those of the query's other listeners. */
    protected final void publish(PushGroup group, Supplier<Collection<MetricSample>> snapshot) {
        publishers.forEach(p -> p.publish(group, part(), snapshot));
    }

    /** Like {@link #publish}, for metrics computed on a thread of the listener's own (e.g. reading a Delta log). */
    protected final void publish(PushGroup group, CompletableFuture<? extends Collection<MetricSample>> computing) {
        publishers.forEach(p -> p.publish(group, part(), computing));
    }

    /** Removes this listener's metrics from the group (the group goes with its last listener's). */
    protected final void remove(PushGroup group) {
        publishers.forEach(p -> p.remove(group, part()));
    }

    private String part() {
        return getClass().getName();
    }

    /**
     * A daemon thread of the listener's own for the I/O its callbacks must not do, which also runs
     * {@code everyHeartbeat} every heartbeat interval (what it throws is logged once per kind).
     */
    protected final ScheduledExecutorService ownThread(String name, Runnable everyHeartbeat) {
        ScheduledExecutorService executor = Executors.newSingleThreadScheduledExecutor(runnable -> {
            Thread thread = new Thread(runnable, name);
            thread.setDaemon(true);
            return thread;
        });
        long interval = heartbeatInterval.toMillis();
        executor.scheduleWithFixedDelay(() -> guarded(name, everyHeartbeat), interval, interval, TimeUnit.MILLISECONDS);
        return executor;
    }

    /**
     * The Hadoop configuration of the session running the query (its spark.hadoop.* settings included); a copy, no I/O.
     * Spark 3.5 and 4.x both declare the session's state on the API class; where a runtime does not (a Connect client),
     * the SparkContext's configuration stands in.
     */
    protected static Configuration sessionHadoopConf() {
        scala.Option<SparkSession> session = SparkSession.getActiveSession();
        if (session.isEmpty()) {
            session = SparkSession.getDefaultSession();
        }
        if (session.isEmpty()) {
            return new Configuration();
        }
        try {
            return session.get().sessionState().newHadoopConf();
        } catch (LinkageError | UnsupportedOperationException e) { // a Connect client's session has no state to give
            return new Configuration(session.get().sparkContext().hadoopConfiguration());
        }
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

    /** Remembers the query's group (the termination event has no name). Listeners that override this call super. */
    @Override
    public void onQueryStarted(QueryStartedEvent event) {
        guarded("onQueryStarted", () -> running.put(event.id(), groupOf(event.name(), event.id())));
    }

    @Override
    public void onQueryIdle(QueryIdleEvent event) {
    }

    @Override
    public void onQueryTerminated(QueryTerminatedEvent event) {
    }

    /** Whether this listener's series mean "the query is running", so that a deliberate stop removes them. */
    protected boolean removedWhenStopped() {
        return false;
    }

    /** For listeners whose series mean "this query is running": a graceful stop removes them. */
    protected final void removeOnGracefulStop(QueryTerminatedEvent event) {
        guarded("onQueryTerminated", () -> {
            PushGroup group = groupOf(event);
            if (event.exception().isEmpty()) {
                remove(group);
            }
        });
    }

    /**
     * The JVM is shutting down without a crash (SIGTERM, the end of {@code main}) while these queries still run:
     * removes this listener's series of each. Listeners with threads of their own stop them first.
     */
    protected void onJvmShutdown(Map<UUID, PushGroup> stillRunning) {
        stillRunning.values().forEach(this::remove);
    }

    private static void installExitHook() {
        if (exitHookInstalled) {
            return;
        }
        synchronized (EXIT_HOOK) {
            if (exitHookInstalled) {
                return;
            }
            ShutdownHookManager.addShutdownHook(REMOVE_ON_EXIT_PRIORITY, new AbstractFunction0<BoxedUnit>() {
                @Override
                public BoxedUnit apply() {
                    List<PushingListener> listeners;
                    synchronized (LIVE) {
                        listeners = List.copyOf(LIVE);
                    }
                    for (PushingListener listener : listeners) {
                        listener.guarded("onJvmShutdown", () -> listener.onJvmShutdown(Map.copyOf(listener.running)));
                    }
                    return BoxedUnit.UNIT;
                }
            });
            exitHookInstalled = true;
        }
    }

    private static void flushOnExit(PushgatewayPublisher publisher, Duration timeout) {
        if (!FLUSHED_ON_EXIT.add(publisher)) {
            return;
        }
        ShutdownHookManager.addShutdownHook(FLUSH_ON_EXIT_PRIORITY, new AbstractFunction0<BoxedUnit>() {
            @Override
            public BoxedUnit apply() {
                if (!publisher.flush(timeout)) {
                    LOG.warn("Pushgateway {}: the last values were not delivered within {}", publisher.address(), timeout);
                }
                return BoxedUnit.UNIT;
            }
        });
    }
}
