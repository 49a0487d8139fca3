package io.streamwatch.jobs.spikes;

import io.streamwatch.jobs.common.JobMetric;
import io.streamwatch.listeners.MetricSample;
import io.streamwatch.listeners.PushGroup;
import io.streamwatch.listeners.PushgatewayPublisher;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.TreeSet;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The sliding window of the deployments, as of now, a temporal filter: on a schedule of its own
 * (and after every micro-batch), the deployments and distinct customers per organization and deployment type
 * whose {@code event_ts} lies within the last {@code window} ({@code dim_deployments}), and the organizations
 * above the threshold ({@code organization_alert}). A count drops when its events age out, with or without new
 * events. Both are Delta tables, rewritten when they change; the firing set is pushed as a whole
 * ({@code organization_alert} 1 per firing organization, 0 for the others in the window).
 */
final class DeploymentWindow implements AutoCloseable {
    static final String ALERT_CONDITION = "deployment_spike";
    static final StructType DIM = new StructType()
            .add("organization", DataTypes.StringType, false)
            .add("deployment_type", DataTypes.StringType, false)
            .add("deployment_cnt", DataTypes.LongType, false)
            .add("customer_cnt", DataTypes.LongType, false);
    static final StructType ALERTS = new StructType()
            .add("alert_cond", DataTypes.StringType, false)
            .add("labels", DataTypes.StringType, false);
    private static final Logger LOG = LoggerFactory.getLogger(DeploymentWindow.class);

    /** One evaluation: the window's rows and the firing organizations. */
    record State(List<Row> deployments, TreeSet<String> firing) {
    }

    private final SparkSession spark;
    private final String eventsPath;
    private final String dimPath;
    private final String alertsPath;
    private final long windowSeconds;
    private final long threshold;
    private final Optional<PushgatewayPublisher> publisher;
    private final PushGroup group;
    private final ScheduledExecutorService schedule = Executors.newSingleThreadScheduledExecutor(runnable -> {
        Thread thread = new Thread(runnable, "streamwatch-deployment-window");
        thread.setDaemon(true);
        return thread;
    });
    private volatile State last;

    DeploymentWindow(SparkSession spark, String eventsPath, String dimPath, String alertsPath, Duration window, long threshold,
                     Optional<PushgatewayPublisher> publisher, PushGroup group) {
        this.spark = spark;
        this.eventsPath = eventsPath;
        this.dimPath = dimPath;
        this.alertsPath = alertsPath;
        this.windowSeconds = window.toSeconds();
        this.threshold = threshold;
        this.publisher = publisher;
        this.group = group;
    }

    /** Evaluates now and then every {@code interval}. */
    void start(Duration interval) {
        schedule.scheduleWithFixedDelay(this::evaluateQuietly, 0, interval.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** Evaluates as soon as possible (after a micro-batch wrote events), on the window's own thread. */
    void evaluateSoon() {
        schedule.execute(this::evaluateQuietly);
    }

    State last() {
        return last;
    }

    private void evaluateQuietly() {
        try {
            evaluate(System.currentTimeMillis() / 1000);
        } catch (RuntimeException e) {
            LOG.warn("evaluating the deployments window failed; trying again at the next evaluation: {}", e.toString());
        }
    }

    /** The window as of {@code nowSeconds}: event_ts in (now - window, now]. */
    synchronized State evaluate(long nowSeconds) {
        long started = System.nanoTime();
        List<Row> deployments = new ArrayList<>(spark.read().format("delta").load(eventsPath)
                .where("event_ts > " + (nowSeconds - windowSeconds) + " AND event_ts <= " + nowSeconds)
                .groupBy("organization", "deployment_type")
                .agg(org.apache.spark.sql.functions.count("event_type").as("deployment_cnt"),
                        org.apache.spark.sql.functions.countDistinct("customer_id").as("customer_cnt"))
                .collectAsList());
        deployments.sort(Comparator.comparing((Row row) -> row.getString(0)).thenComparing(row -> row.getString(1)));
        TreeSet<String> firing = new TreeSet<>();
        deployments.stream().filter(row -> row.getLong(2) > threshold).forEach(row -> firing.add(row.getString(0)));
        State state = new State(deployments, firing);
        // The export first: it is what the alert waits for; the tables follow.
        publisher.ifPresent(p -> p.publish(group, "deployments", () -> samples(state)));
        LOG.debug("window evaluated in {} ms: {} firing", (System.nanoTime() - started) / 1_000_000, firing);
        State previous = last;
        if (previous == null || !previous.deployments().equals(deployments)) {
            spark.createDataFrame(deployments, DIM).write().format("delta").mode("overwrite").save(dimPath);
        }
        if (previous == null || !previous.firing().equals(firing)) {
            spark.createDataFrame(firing.stream().map(organization -> RowFactory.create(ALERT_CONDITION, organization)).toList(), ALERTS)
                    .write().format("delta").mode("overwrite").save(alertsPath);
            LOG.info("organization_alert: {} (evaluated in {} ms)", firing.isEmpty() ? "none firing" : ALERT_CONDITION + " for " + firing,
                    (System.nanoTime() - started) / 1_000_000);
        }
        last = state;
        return state;
    }

    private static List<MetricSample> samples(State state) {
        List<MetricSample> samples = new ArrayList<>();
        TreeSet<String> organizations = new TreeSet<>();
        for (Row row : state.deployments()) {
            organizations.add(row.getString(0));
            samples.add(JobMetric.DEPLOYMENTS.sample(row.getLong(2), row.getString(0), row.getString(1)));
            samples.add(JobMetric.DEPLOYMENT_CUSTOMERS.sample(row.getLong(3), row.getString(0), row.getString(1)));
        }
        for (String organization : organizations) {
            samples.add(JobMetric.ORGANIZATION_ALERT.sample(state.firing().contains(organization) ? 1 : 0, organization, ALERT_CONDITION));
        }
        return samples;
    }

    @Override
    public void close() {
        schedule.shutdownNow();
        try {
            schedule.awaitTermination(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
