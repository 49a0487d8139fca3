package io.streamwatch.jobs.alarms;

import io.streamwatch.rules.Alarm;
import java.util.concurrent.atomic.AtomicLong;

/**
 * What both engines do with a batch they matched: its alarms and quarantined records written durably to the outbox
 * first, then handed to delivery and to the recorder (both return at once), counted, traced and reported. Nothing is
 * delivered that the outbox does not hold.
 */
final class AlarmHandOver {
    private final AlarmOutbox outbox;
    private final AlarmDelivery delivery;
    private final AlarmRecorder recorder;
    private final Alarms.Counts counts;
    private final Runnable report;
    private final AlarmTrace trace;

    AlarmHandOver(AlarmOutbox outbox, AlarmDelivery delivery, AlarmRecorder recorder, Alarms.Counts counts, Runnable report, AlarmTrace trace) {
        this.outbox = outbox;
        this.delivery = delivery;
        this.recorder = recorder;
        this.counts = counts;
        this.report = report;
        this.trace = trace;
    }

    /**
     * Writes the batch to the outbox (throws when it cannot: nothing of it was delivered) and hands it over;
     * {@code quarantined}: the records the batch quarantined, whether the batch carries them or not.
     */
    void handOver(AlarmOutbox.Batch batch, long quarantined, long beganMillis, long matchedMillis) {
        if (!batch.alarms().isEmpty() || !batch.quarantined().isEmpty()) {
            outbox.write(batch);
            AlarmHalt.OUTBOX_WRITTEN.reached();
            delivery.offer(batch);
            recorder.offer(batch);
        }
        trace.batch(batch.batchId(), beganMillis, matchedMillis, System.currentTimeMillis(), batch.alarms().size());
        for (Alarm alarm : batch.alarms()) {
            counts.alarms.computeIfAbsent(alarm.state().label(), s -> new AtomicLong()).incrementAndGet();
        }
        counts.quarantined.addAndGet(quarantined);
        report.run();
    }

    /** Reports the counts without a batch (an idle engine's heartbeat). */
    void report() {
        report.run();
    }
}
