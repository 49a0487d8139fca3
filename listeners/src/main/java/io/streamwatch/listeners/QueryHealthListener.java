package io.streamwatch.listeners;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.apache.spark.SparkConf;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.streaming.StreamingQuery;
import org.apache.spark.sql.streaming.StreamingQueryProgress;

/**
 * What the SLA listener cannot see: a batch that hangs and a query that dies. A heartbeat pushes, while the
 * query runs, how long its current batch has been running ({@code streamwatch_query_running_batch_seconds},
 * 0 when idle) and when its last progress came ({@code streamwatch_query_last_progress_timestamp_seconds}),
 * so an alert can fire before a stuck batch ends. A query that fails pushes {@code streamwatch_query_up 0}
 * and {@code streamwatch_query_failure_info{exception="..."} 1} (the exception's class: a bounded label);
 * a graceful stop removes the series, leaving nothing that looks alive. A run's first batch (a cold JVM after a
 * redeploy, planning, restored state) is slower by nature: {@code streamwatch_query_warming_up} is 1 from the run's
 * start until its first executed batch ends, so the stall alert can hold that batch to a bound of its own.
 *
 * <p>Beside them, what the query is held to ({@link QueryBounds}: {@code streamwatch_query_sla_seconds},
 * {@code streamwatch_query_first_batch_seconds}, {@code streamwatch_query_max_lag_seconds}), where the application or
 * the query sets a bound; the rules use the alerting defaults for what is not pushed.
 *
 * <p>Callbacks only update in-memory state; a daemon thread polls the query's status (in memory) twice a
 * second and pushes every {@code spark.streamwatch.heartbeat.interval} and when a batch starts or ends. It finds
 * the query in whichever session started it ({@code spark.newSession()} too). Once the query has terminated, a
 * tick that raced the termination never publishes again.
 */
public class QueryHealthListener extends PushingListener {
    public static final String UP = "streamwatch_query_up";
    public static final String RUNNING_BATCH_SECONDS = "streamwatch_query_running_batch_seconds";
    public static final String LAST_PROGRESS = "streamwatch_query_last_progress_timestamp_seconds";
    public static final String FAILURE = "streamwatch_query_failure_info";
    public static final String WARMING_UP = "streamwatch_query_warming_up";
    public static final String SLA_SECONDS = "streamwatch_query_sla_seconds";
    public static final String FIRST_BATCH_SECONDS = "streamwatch_query_first_batch_seconds";
    public static final String MAX_LAG_SECONDS = "streamwatch_query_max_lag_seconds";
    private static final long POLL_MILLIS = 500;

    /** One running query as the heartbeat sees it. */
    private static final class Tracked {
        final UUID id;
        final PushGroup group;
        /** What the query is held to ({@link QueryBounds}), pushed with every heartbeat. */
        final List<MetricSample> bounds;
        volatile long batchStartMillis = -1;
        volatile double lastProgressSeconds = Double.NaN;
        /** Until the run's first executed batch has ended. */
        volatile boolean warmingUp = true;
        volatile long lastPushMillis;
        /** Set, under the lock of this object, when the query terminates: no heartbeat publishes after it. */
        boolean ended;
        ScheduledFuture<?> ticker;

        Tracked(UUID id, PushGroup group, List<MetricSample> bounds) {
            this.id = id;
            this.group = group;
            this.bounds = List.copyOf(bounds);
        }
    }

    private final Map<UUID, Tracked> queries = new ConcurrentHashMap<>();
    private final QueryBounds bounds;
    private volatile ScheduledExecutorService heartbeat;

    public QueryHealthListener(SparkConf conf) {
        this(StreamwatchSettings.from(conf));
    }

    public QueryHealthListener() {
        this(StreamwatchSettings.fromSparkEnv());
    }

    public QueryHealthListener(StreamwatchSettings settings) {
        super(settings, settings.naming().queryJob());
        this.bounds = settings.bounds();
    }

    @Override
    public void onQueryStarted(QueryStartedEvent event) {
        super.onQueryStarted(event);
        guarded("onQueryStarted", () -> {
            Tracked query = new Tracked(event.id(), groupOf(event.id()), bounds.samples(event.name()));
            queries.put(event.id(), query);
            query.ticker = heartbeat().scheduleAtFixedRate(() -> tick(query), 0, POLL_MILLIS, TimeUnit.MILLISECONDS);
        });
    }

    @Override
    public void onQueryProgress(QueryProgressEvent event) {
        guarded("onQueryProgress", () -> {
            Tracked query = queries.get(event.progress().id());
            if (query != null) {
                StreamingQueryProgress progress = event.progress();
                query.lastProgressSeconds = (Instant.parse(progress.timestamp()).toEpochMilli() + progress.batchDuration()) / 1000.0;
                query.batchStartMillis = -1;
                query.warmingUp = false;
                push(query, true);
            }
        });
    }

    @Override
    public void onQueryTerminated(QueryTerminatedEvent event) {
        guarded("onQueryTerminated", () -> {
            PushGroup group = groupOf(event);
            Tracked query = stopHeartbeat(event.id());
            String exception = event.exception().isDefined() ? exceptionClass(event.exception().get()) : null;
            end(group, exception, query);
        });
    }

    /** Stops the query's heartbeat: a tick running meanwhile publishes before this returns, never after. */
    private Tracked stopHeartbeat(UUID id) {
        Tracked query = queries.remove(id);
        if (query != null) {
            synchronized (query) {
                query.ended = true;
                if (query.ticker != null) {
                    query.ticker.cancel(false);
                }
            }
        }
        return query;
    }

    /** A failed query says so ({@code up 0} and why); one stopped on purpose leaves nothing. */
    private void end(PushGroup group, String exception, Tracked query) {
        if (exception != null) {
            double lastProgress = query == null ? Double.NaN : query.lastProgressSeconds;
            List<MetricSample> queryBounds = query == null ? List.of() : query.bounds;
            publish(group, () -> samples(0, 0, false, lastProgress, exception, queryBounds));
        } else {
            remove(group);
        }
    }

    @Override
    protected boolean removedWhenStopped() {
        return true;
    }

    @Override
    protected void onJvmShutdown(Map<UUID, PushGroup> stillRunning) {
        stillRunning.keySet().forEach(this::stopHeartbeat);
        super.onJvmShutdown(stillRunning);
    }

    /** Runs on the heartbeat thread: notices a batch starting from the query's in-memory status. */
    private void tick(Tracked query) {
        guarded("heartbeat", () -> {
            StreamingQuery running = find(query.id);
            if (running == null) {
                return;
            }
            boolean active = running.status().isTriggerActive();
            boolean changed = active != (query.batchStartMillis >= 0);
            if (active && query.batchStartMillis < 0) {
                query.batchStartMillis = System.currentTimeMillis();
            } else if (!active) {
                query.batchStartMillis = -1;
            }
            push(query, changed || System.currentTimeMillis() - query.lastPushMillis >= heartbeatInterval().toMillis());
        });
    }

    private void push(Tracked query, boolean due) {
        if (!due) {
            return;
        }
        synchronized (query) {
            if (query.ended) {
                return;
            }
            long now = System.currentTimeMillis();
            query.lastPushMillis = now;
            long batchStart = query.batchStartMillis;
            double runningSeconds = batchStart < 0 ? 0 : (now - batchStart) / 1000.0;
            double lastProgress = query.lastProgressSeconds;
            boolean warmingUp = query.warmingUp;
            publish(query.group, () -> samples(1, runningSeconds, warmingUp, lastProgress, null, query.bounds));
        }
    }

    private static List<MetricSample> samples(int up, double runningSeconds, boolean warmingUp, double lastProgressSeconds, String exception,
                                              List<MetricSample> bounds) {
        List<MetricSample> samples = new ArrayList<>(bounds);
        samples.add(MetricSample.of(UP, "1 while the query runs, 0 once it has failed.", up));
        samples.add(MetricSample.of(RUNNING_BATCH_SECONDS, "How long the current micro-batch has been running; 0 when idle.", runningSeconds));
        samples.add(MetricSample.of(WARMING_UP, "1 until the run's first executed micro-batch has ended (the running batch is its first).",
                warmingUp ? 1 : 0));
        if (!Double.isNaN(lastProgressSeconds)) {
            samples.add(MetricSample.of(LAST_PROGRESS, "When the last micro-batch ended (Unix time).", lastProgressSeconds));
        }
        if (exception != null) {
            samples.add(new MetricSample(FAILURE, "The exception that stopped the query.", Map.of("exception", exception), 1));
        }
        return samples;
    }

    /** The exception's simple class name from Spark's exception text ("pkg.SomeException: message\n\tat ..."). */
    static String exceptionClass(String exceptionText) {
        String firstLine = exceptionText.lines().findFirst().orElse("").trim();
        int colon = firstLine.indexOf(':');
        String className = colon > 0 ? firstLine.substring(0, colon) : firstLine;
        String simple = className.substring(className.lastIndexOf('.') + 1);
        return simple.matches("[A-Za-z0-9_$]{1,100}") ? simple : "unknown";
    }

    /**
     * The running query of that id, in any session of the application: Spark keeps every session's active
     * queries in the shared state (a query of {@code spark.newSession()} is not in the default session's
     * {@code streams()}).
     */
    private static StreamingQuery find(UUID id) {
        scala.Option<SparkSession> session = SparkSession.getActiveSession();
        if (session.isEmpty()) {
            session = SparkSession.getDefaultSession();
        }
        if (session.isEmpty()) {
            return null;
        }
        // Read as a plain map: the class of its values moved between Spark 3.5 and 4.x.
        Map<?, ?> active = session.get().sharedState().activeStreamingQueries();
        return active.get(id) instanceof StreamingQuery query ? query : session.get().streams().get(id);
    }

    private ScheduledExecutorService heartbeat() {
        if (heartbeat == null) {
            synchronized (this) {
                if (heartbeat == null) {
                    heartbeat = Executors.newSingleThreadScheduledExecutor(runnable -> {
                        Thread thread = new Thread(runnable, "streamwatch-heartbeat");
                        thread.setDaemon(true);
                        return thread;
                    });
                }
            }
        }
        return heartbeat;
    }
}
