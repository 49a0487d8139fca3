package io.streamwatch.jobs.alarms;

import io.streamwatch.cli.Cli;
import io.streamwatch.jobs.common.KafkaQuarantine;
import io.streamwatch.jobs.common.KafkaRecordsOnce;
import io.streamwatch.rules.Alarm;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Records the outbox's batches in the Delta {@code alarms} table on a thread of its own, off the micro-batch's path:
 * whatever is waiting goes in one commit, at most one every {@link #COMMIT_EVERY} whatever the batch rate, keyed by
 * the Kafka records of those batches
 * ({@link KafkaRecordsOnce}): recording a batch again, after a crash or from a second job, adds nothing. A commit
 * that fails is said once per kind and retried with backoff; {@link #unrecorded()} says how many batches wait.
 */
final class AlarmRecorder implements AutoCloseable {
    /** Batches per commit at most. */
    static final int MAX_BATCHES_PER_COMMIT = 1_000;
    /**
     * Commits at most this often: each commit costs Delta a reconstruction of the table's state (its transaction ids),
     * whatever it holds, and takes the cores from the micro-batches meanwhile; an alarm reaches the table this much later.
     */
    static final java.time.Duration COMMIT_EVERY = java.time.Duration.ofSeconds(5);
    /** Compacts the table's small files (one or two a commit) every this many commits. */
    static final int COMPACT_EVERY = 200;
    private static final Logger LOG = LoggerFactory.getLogger(AlarmRecorder.class);
    static final StructType ROWS = AlarmsTable.SCHEMA.add("batch_id", DataTypes.LongType, false);
    static final StructType QUARANTINE_ROWS = KafkaQuarantine.SCHEMA.add("batch_id", DataTypes.LongType, false);

    private final SparkSession spark;
    private final AlarmTrace trace;
    private final AlarmsTable table;
    private final AlarmOutbox outbox;
    private final LinkedBlockingQueue<AlarmOutbox.Batch> queue = new LinkedBlockingQueue<>();
    private final Thread thread;
    private final AtomicLong commits = new AtomicLong();
    private final AtomicLong errors = new AtomicLong();
    private volatile boolean failing;
    private volatile boolean stopping;
    private volatile int inFlight;

    AlarmRecorder(SparkSession spark, AlarmsTable table, AlarmOutbox outbox, AlarmTrace trace) {
        this.spark = spark;
        this.trace = trace;
        this.table = table;
        this.outbox = outbox;
        this.thread = new Thread(this::run, "streamwatch-alarm-recorder");
        this.thread.setDaemon(true);
    }

    /**
     * Records what the outbox holds from an earlier run, on the calling thread, before the query starts: the rules'
     * states are then read from a table that holds every alarm raised so far.
     */
    void recordLeftovers(List<AlarmOutbox.Batch> leftovers) {
        for (List<AlarmOutbox.Batch> group : byQuery(leftovers)) {
            record(group);
        }
        if (!leftovers.isEmpty()) {
            LOG.info("recorded the {} batch(es) of alarms the outbox still held", leftovers.size());
        }
    }

    void start() {
        thread.start();
    }

    /** Hands over a batch written to the outbox; returns at once. */
    void offer(AlarmOutbox.Batch batch) {
        queue.add(batch);
    }

    /** Batches in the outbox the table does not hold yet. */
    int unrecorded() {
        return queue.size() + inFlight;
    }

    long commits() {
        return commits.get();
    }

    long errors() {
        return errors.get();
    }

    /** Whether the last commit failed (it is retried). */
    boolean failing() {
        return failing;
    }

    /** The recorder's Spark jobs share the cores fairly with the query's ({@code spark.scheduler.mode=FAIR}). */
    static final String POOL = "streamwatch-recorder";

    private void run() {
        spark.sparkContext().setLocalProperty("spark.scheduler.pool", POOL);
        int failures = 0;
        String warned = null;
        List<AlarmOutbox.Batch> waiting = new ArrayList<>();
        while (!stopping || !queue.isEmpty() || !waiting.isEmpty()) {
            try {
                if (waiting.isEmpty()) {
                    AlarmOutbox.Batch first = queue.poll(100, TimeUnit.MILLISECONDS);
                    if (first == null) {
                        continue;
                    }
                    waiting.add(first);
                    queue.drainTo(waiting, MAX_BATCHES_PER_COMMIT - 1);
                    inFlight = waiting.size();
                }
                for (List<AlarmOutbox.Batch> group : byQuery(waiting)) {
                    record(group);
                    waiting.removeAll(group);
                    inFlight = waiting.size();
                }
                if (commits.get() % COMPACT_EVERY == 0) {
                    compact();
                }
                long next = System.nanoTime() + COMMIT_EVERY.toNanos();
                while (!stopping && System.nanoTime() < next) {
                    Thread.sleep(50);
                }
                failures = 0;
                if (failing) {
                    failing = false;
                    LOG.info("the alarms table takes alarms again ({} failed commit(s) so far)", errors.get());
                }
                warned = null;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            } catch (RuntimeException e) {
                errors.incrementAndGet();
                failing = true;
                String kind = e.getClass().getName();
                if (!kind.equals(warned)) {
                    warned = kind;
                    LOG.warn("cannot record {} batch(es) of alarms in {} ({}); retrying, delivery goes on", waiting.size(), table.path(), Cli.oneLine(e));
                }
                if (stopping) {
                    return; // a stop leaves them in the outbox: the next start records them
                }
                try {
                    Thread.sleep(Math.min(30_000L, 200L << Math.min(failures++, 8)));
                } catch (InterruptedException interrupted) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
        }
    }

    /** OPTIMIZE: the small files of the last commits in a few (a failure is said and the next one tries again). */
    private void compact() {
        try {
            spark.sql("OPTIMIZE delta.`" + table.path() + "`");
        } catch (RuntimeException e) {
            errors.incrementAndGet();
            LOG.warn("cannot compact {} ({}); trying again after {} commits", table.path(), Cli.oneLine(e), COMPACT_EVERY);
        }
    }

    /** One commit of consecutive batches of one query; the outbox learns they are recorded. */
    private void record(List<AlarmOutbox.Batch> batches) {
        long began = System.currentTimeMillis();
        AlarmOutbox.Batch last = batches.get(batches.size() - 1);
        List<KafkaRecordsOnce.Range> ranges = new ArrayList<>();
        List<Row> rows = new ArrayList<>();
        for (AlarmOutbox.Batch batch : batches) {
            ranges.addAll(batch.ranges());
            for (Alarm alarm : batch.alarms()) {
                rows.add(RowFactory.create(alarm.ruleId(), alarm.metricName(), alarm.value(), alarm.threshold(), alarm.operator().symbol(),
                        alarm.state().label(), new java.sql.Timestamp(alarm.metricTimestampMillis()), alarm.topic(), alarm.partition(),
                        alarm.offset(), batch.batchId()));
            }
        }
        KafkaRecordsOnce once = KafkaRecordsOnce.of(spark, last.queryId(), last.batchId(), KafkaRecordsOnce.merged(ranges));
        once.appendTo(table.path(), spark.createDataFrame(rows, ROWS));
        AlarmHalt.TABLE_COMMITTED.reached();
        List<Row> quarantined = new ArrayList<>();
        for (AlarmOutbox.Batch batch : batches) {
            for (AlarmOutbox.Quarantined record : batch.quarantined()) {
                quarantined.add(RowFactory.create(record.key(), record.value(), record.topic(), record.partition(), record.offset(),
                        new java.sql.Timestamp(record.timestampMillis()), record.reason(), batch.batchId()));
            }
        }
        if (!quarantined.isEmpty()) {
            once.appendTo(table.quarantinePath(), spark.createDataFrame(quarantined, QUARANTINE_ROWS));
        }
        commits.incrementAndGet();
        trace.recorded(batches.get(0).batchId(), last.batchId(), rows.size(), began);
        batches.forEach(batch -> outbox.recorded(batch.batchId()));
    }

    /** Consecutive runs of batches of one query, in order. */
    private static List<List<AlarmOutbox.Batch>> byQuery(List<AlarmOutbox.Batch> batches) {
        List<List<AlarmOutbox.Batch>> groups = new ArrayList<>();
        for (AlarmOutbox.Batch batch : batches) {
            if (groups.isEmpty() || !groups.get(groups.size() - 1).get(0).queryId().equals(batch.queryId())) {
                groups.add(new ArrayList<>());
            }
            groups.get(groups.size() - 1).add(batch);
        }
        return groups;
    }

    /** Records what is waiting (a graceful stop leaves the outbox empty), then stops. */
    @Override
    public void close() {
        stopping = true;
        try {
            thread.join(60_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
