package io.streamwatch.jobs.notify;

import io.streamwatch.jobs.common.CheckpointFile;
import io.streamwatch.jobs.common.DeliveryStopped;
import io.streamwatch.jobs.common.ExactlyOnceAppend;
import io.streamwatch.jobs.notify.novu.NovuClient;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import org.apache.spark.api.java.function.VoidFunction2;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The notification job's foreachBatch: one micro-batch's changes delivered in order, then its deliveries and dead
 * letters appended once; a stop while delivering ends the batch as stopped, its progress saved.
 */
final class BatchNotifier implements VoidFunction2<Dataset<Row>, Long> {
    private static final Logger LOG = LoggerFactory.getLogger(BatchNotifier.class);
    private final ChangeFeed feed;
    private final NotificationLog log;
    private final NotifyOptions.Settings settings;
    volatile boolean stopping;
    private volatile boolean delivering;
    volatile NotificationDelivery delivery;
    volatile ProgressWatchdog watchdog;
    private final int bulkFrom;
    private final Duration requestTimeout;
    private final String checkpoint;
    private Runnable report;

    BatchNotifier(ChangeFeed feed, NotificationLog log, NotifyOptions.Settings settings, int bulkFrom, Duration requestTimeout, String checkpoint) {
        this.feed = feed;
        this.log = log;
        this.settings = settings;
        this.bulkFrom = bulkFrom;
        this.requestTimeout = requestTimeout;
        this.checkpoint = checkpoint;
    }

    void start(SparkSession spark, NotificationLog.OpenTriggers open, ProgressWatchdog watchdog, Runnable report) {
        Optional<NovuClient> novu = settings.testMode() ? Optional.empty()
                : Optional.of(new NovuClient(settings.novuUrl(), settings.apiKey().orElseThrow(), () -> stopping, requestTimeout));
        this.delivery = new NotificationDelivery(novu, new NotificationDelivery.Settings(settings.workflow(), settings.recipients(), bulkFrom),
                open, new CheckpointFile(checkpoint, "streamwatch-notify/progress.json", spark.sparkContext().hadoopConfiguration()));
        this.watchdog = watchdog;
        this.report = report;
    }

    /**
     * Stops delivery once the request in flight is answered (interrupting it would leave its outcome unknown and
     * send it again after a restart), waiting at most {@code bound}.
     */
    void stopAfterTheRequestInFlight(Duration bound) {
        stopping = true;
        long deadline = System.nanoTime() + bound.toNanos();
        while (delivering && System.nanoTime() < deadline) {
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    @Override
    public void call(Dataset<Row> batch, Long batchId) throws Exception {
        SparkSession spark = batch.sparkSession();
        List<ChangeFeed.Change> changes = feed.changes(batch, settings.sendRetractions());
        if (changes.isEmpty()) {
            return;
        }
        long started = System.nanoTime();
        List<NotificationLog.Entry> entries;
        delivering = true;
        try {
            entries = delivery.deliver(batchId, changes);
        } catch (DeliveryStopped | InterruptedException e) {
            report.run();
            throw new StoppedMidBatch(batchId);
        } finally {
            delivering = false;
        }
        long deliveredAt = System.nanoTime();
        log.append(spark, ExactlyOnceAppend.of(spark, batchId), entries);
        report.run();
        LOG.info("batch {}: {} change(s) handled in {} ms ({}), logged in {} ms", batchId, changes.size(), (deliveredAt - started) / 1_000_000,
                summary(entries), (System.nanoTime() - deliveredAt) / 1_000_000);
    }

    private static String summary(List<NotificationLog.Entry> entries) {
        Map<String, Long> counts = new TreeMap<>();
        entries.forEach(entry -> counts.merge(entry.action() + " " + entry.outcome(), 1L, Long::sum));
        return counts.toString();
    }

    /** Whether the query ended because a stop came while a batch was being delivered. */
    static boolean stoppedMidBatch(Throwable e) {
        for (Throwable cause = e; cause != null; cause = cause.getCause()) {
            if (cause instanceof StoppedMidBatch) {
                return true;
            }
        }
        return false;
    }

    /**
     * A stop (SIGTERM, or {@code query.stop()}) came while a batch was being delivered; its progress is saved. An
     * interruption, so that Spark ends a query stopped this way as stopped, not as failed with an error.
     */
    static final class StoppedMidBatch extends InterruptedException {
        StoppedMidBatch(long batchId) {
            super("stopped while delivering batch " + batchId + "; the rest is delivered after a restart");
        }
    }
}
