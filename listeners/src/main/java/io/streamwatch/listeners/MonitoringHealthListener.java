package io.streamwatch.listeners;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.apache.spark.SparkConf;
import org.apache.spark.SparkContext;

/**
 * Whether the monitoring itself works, so that "no alert" can be told from "monitoring is broken": every heartbeat
 * interval, one group per application ({@code job}, {@code app}: {@code spark.app.name}) with the events Spark's
 * listener bus dropped per queue ({@code streamwatch_listener_events_dropped_total{queue}}; the {@code streams} queue
 * feeds every streaming listener, and Spark drops silently when it overflows), and the publisher's own record:
 * pushes delivered, outages begun, whether one is going on, snapshots dropped, the last successful push
 * ({@code streamwatch_publisher_*}). A heartbeat thread of its own reads in-memory counters only.
 */
public class MonitoringHealthListener extends PushingListener {
    public static final String EVENTS_DROPPED = "streamwatch_listener_events_dropped_total";
    public static final String PUSHES = "streamwatch_publisher_pushes_total";
    public static final String OUTAGES = "streamwatch_publisher_outages_total";
    public static final String IN_OUTAGE = "streamwatch_publisher_in_outage";
    public static final String DROPPED_SNAPSHOTS = "streamwatch_publisher_dropped_snapshots_total";
    public static final String LAST_SUCCESS = "streamwatch_publisher_last_success_timestamp_seconds";

    private final StreamwatchSettings settings;
    private volatile ScheduledExecutorService heartbeat;

    public MonitoringHealthListener(SparkConf conf) {
        this(StreamwatchSettings.from(conf));
    }

    public MonitoringHealthListener() {
        this(StreamwatchSettings.fromSparkEnv());
    }

    public MonitoringHealthListener(StreamwatchSettings settings) {
        super(settings, settings.naming().queryJob());
        this.settings = settings;
    }

    @Override
    public void onQueryStarted(QueryStartedEvent event) {
        super.onQueryStarted(event);
        guarded("onQueryStarted", this::heartbeat);
    }

    @Override
    public void onQueryProgress(QueryProgressEvent event) {
    }

    private void heartbeat() {
        if (heartbeat != null) {
            return;
        }
        synchronized (this) {
            if (heartbeat == null) {
                SparkContext context = SparkContext.getOrCreate();
                PushGroup group = new PushGroup(job(), Map.of("app", context.appName()));
                ScheduledExecutorService executor = Executors.newSingleThreadScheduledExecutor(runnable -> {
                    Thread thread = new Thread(runnable, "streamwatch-monitoring-health");
                    thread.setDaemon(true);
                    return thread;
                });
                long interval = heartbeatInterval().toMillis();
                executor.scheduleWithFixedDelay(() -> guarded("heartbeat", () -> publish(group, () -> samples(context))), 0, interval,
                        TimeUnit.MILLISECONDS);
                heartbeat = executor;
            }
        }
    }

    private List<MetricSample> samples(SparkContext context) {
        List<MetricSample> samples = new ArrayList<>();
        if (!context.isStopped()) {
            context.listenerBus().metrics().metricRegistry().getCounters().forEach((name, counter) -> {
                if (name.startsWith("queue.") && name.endsWith(".numDroppedEvents")) {
                    String queue = name.substring("queue.".length(), name.length() - ".numDroppedEvents".length());
                    samples.add(new MetricSample(EVENTS_DROPPED, "Events Spark's listener bus dropped because the queue was full.",
                            Map.of("queue", queue), counter.getCount()));
                }
            });
        }
        settings.pushgateway().map(PushgatewayPublisher::shared).ifPresent(publisher -> {
            samples.add(MetricSample.of(PUSHES, "Pushes (and deletes) that reached the Pushgateway.", publisher.deliveredPushes()));
            samples.add(MetricSample.of(OUTAGES, "Pushgateway outages begun (each logged once).", publisher.outages()));
            samples.add(MetricSample.of(IN_OUTAGE, "1 while the last push failed and none succeeded since.", publisher.isInOutage() ? 1 : 0));
            samples.add(MetricSample.of(DROPPED_SNAPSHOTS, "Snapshots refused by the Pushgateway or failing to compute.", publisher.droppedSnapshots()));
            if (publisher.lastDeliveredMillis() > 0) {
                samples.add(MetricSample.of(LAST_SUCCESS, "When a push last reached the Pushgateway.", publisher.lastDeliveredMillis() / 1000.0));
            }
        });
        return samples;
    }
}
