package io.streamwatch.jobs.notify;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.streamwatch.jobs.common.CheckpointFile;
import io.streamwatch.jobs.common.DeliveryStopped;
import io.streamwatch.jobs.notify.novu.NovuClient;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Delivers a micro-batch's changes to Novu in order, inside the batch: the streaming checkpoint commits the batch
 * only once all of it is handled, so a crash re-reads it (at least once, the same transaction ids). Inside a batch,
 * how far it got and each outcome is saved in the checkpoint every {@link #SAVE_EVERY} and at a stop, so a
 * restart after a stop sends nothing twice and a restart after a crash repeats at most that much.
 *
 * <p>Triggers go one by one, or by {@code /bulk} when at least {@code bulkFrom} follow each other; a retraction
 * cancels the newest open trigger of the same row (none sent: nothing to cancel) and never triggers. A change Novu
 * refuses or does not deliver is recorded with the reason (the dead letters) and delivery goes on. Test mode logs
 * each request instead of sending it.
 */
final class NotificationDelivery {
    static final Duration SAVE_EVERY = Duration.ofMillis(200);
    private static final Logger LOG = LoggerFactory.getLogger(NotificationDelivery.class);

    /** What the job sends: workflow, recipients from the settings (empty when a column holds them), when to go bulk. */
    record Settings(String workflow, List<String> recipients, int bulkFrom) {
    }

    private final Optional<NovuClient> novu;
    private final Settings settings;
    private final NotificationLog.OpenTriggers open;
    private final CheckpointFile progressFile;
    private final Map<String, AtomicLong> outcomes = new ConcurrentHashMap<>();
    private long savedAtNanos;

    /** {@code novu} empty: test mode. */
    NotificationDelivery(Optional<NovuClient> novu, Settings settings, NotificationLog.OpenTriggers open, CheckpointFile progressFile) {
        this.novu = novu;
        this.settings = settings;
        this.open = open;
        this.progressFile = progressFile;
    }

    /**
     * Handles a batch's changes, skipping those an earlier run of this batch already handled; returns every
     * change's entry. Throws {@link DeliveryStopped} when stopping midway, after saving how far it got.
     */
    List<NotificationLog.Entry> deliver(long batchId, List<ChangeFeed.Change> changes) throws DeliveryStopped, InterruptedException {
        List<NotificationLog.Entry> entries = new ArrayList<>(resumed(batchId, changes));
        if (!entries.isEmpty()) {
            LOG.info("batch {}: {} of its {} change(s) were handled before a restart; going on from there", batchId, entries.size(), changes.size());
        }
        try {
            int next = entries.size();
            while (next < changes.size()) {
                int triggers = 0;
                while (next + triggers < changes.size() && !changes.get(next + triggers).retraction() && triggers < NovuClient.MAX_BULK) {
                    triggers++;
                }
                if (triggers >= settings.bulkFrom() && triggers > 1 && novu.isPresent()) {
                    entries.addAll(triggerBulk(changes.subList(next, next + triggers)));
                    next += triggers;
                } else {
                    entries.add(handle(changes.get(next)));
                    next++;
                }
                if (System.nanoTime() - savedAtNanos > SAVE_EVERY.toNanos()) {
                    save(batchId, entries);
                }
            }
        } finally {
            save(batchId, entries);
        }
        return entries;
    }

    /** Changes handled since the start, by outcome. */
    Map<String, Long> outcomes() {
        Map<String, Long> counts = new TreeMap<>();
        outcomes.forEach((outcome, count) -> counts.put(outcome, count.get()));
        return counts;
    }

    long rateLimited() {
        return novu.map(NovuClient::rateLimited).orElse(0L);
    }

    long retried() {
        return novu.map(NovuClient::retried).orElse(0L);
    }

    private NotificationLog.Entry handle(ChangeFeed.Change change) throws DeliveryStopped, InterruptedException {
        if (change.retraction()) {
            Optional<String> trigger = open.take(change.rowHash());
            if (trigger.isEmpty()) {
                return entry(change, NotificationLog.CANCEL, change.transactionId(), NovuClient.NOTHING_PENDING,
                        "no trigger of this row was sent", 0);
            }
            if (novu.isEmpty()) {
                LOG.info("TEST_MODE: would cancel DELETE /v1/events/trigger/{}", trigger.get());
                return entry(change, NotificationLog.CANCEL, trigger.get(), NotificationLog.TEST_MODE, "", 0);
            }
            NovuClient.Outcome outcome = novu.get().cancel(trigger.get());
            if (outcome.failed()) {
                open.restore(change.rowHash(), trigger.get());
            }
            return entry(change, NotificationLog.CANCEL, trigger.get(), outcome.outcome(), outcome.reason(), outcome.httpStatus());
        }
        Optional<String> refused = refusal(change);
        if (refused.isPresent()) {
            return entry(change, NotificationLog.TRIGGER, change.transactionId(), NovuClient.FAILED, refused.get(), 0);
        }
        NovuClient.Event event = event(change);
        if (novu.isEmpty()) {
            LOG.info("TEST_MODE: would trigger POST /v1/events/trigger {}", event.toJson());
            open.add(change.rowHash(), change.transactionId());
            return entry(change, NotificationLog.TRIGGER, change.transactionId(), NotificationLog.TEST_MODE, "", 0);
        }
        return triggered(change, novu.get().trigger(event));
    }

    private List<NotificationLog.Entry> triggerBulk(List<ChangeFeed.Change> changes) throws DeliveryStopped, InterruptedException {
        List<ChangeFeed.Change> sendable = new ArrayList<>();
        List<NotificationLog.Entry> entries = new ArrayList<>();
        for (ChangeFeed.Change change : changes) {
            Optional<String> refused = refusal(change);
            if (refused.isPresent()) {
                entries.add(entry(change, NotificationLog.TRIGGER, change.transactionId(), NovuClient.FAILED, refused.get(), 0));
            } else {
                sendable.add(change);
            }
        }
        if (!sendable.isEmpty()) {
            List<NovuClient.Outcome> outcomes = novu.orElseThrow().triggerBulk(sendable.stream().map(this::event).toList());
            for (int i = 0; i < sendable.size(); i++) {
                entries.add(triggered(sendable.get(i), outcomes.get(i)));
            }
        }
        entries.sort(Comparator.comparingInt(entry -> changes.indexOf(entry.change())));
        return entries;
    }

    private NotificationLog.Entry triggered(ChangeFeed.Change change, NovuClient.Outcome outcome) {
        if (!outcome.failed()) {
            open.add(change.rowHash(), change.transactionId());
        } else {
            LOG.warn("change at version {} not delivered ({}); recorded in the dead letters", change.commitVersion(), outcome.reason());
        }
        return entry(change, NotificationLog.TRIGGER, change.transactionId(), outcome.outcome(), outcome.reason(), outcome.httpStatus());
    }

    private Optional<String> refusal(ChangeFeed.Change change) {
        List<String> to = recipients(change);
        if (to.isEmpty()) {
            return Optional.of("no recipients in the row");
        }
        if (to.size() > 100) {
            return Optional.of(to.size() + " recipients; Novu takes at most 100 per trigger");
        }
        return Optional.empty();
    }

    private List<String> recipients(ChangeFeed.Change change) {
        return settings.recipients().isEmpty() ? change.recipients() : settings.recipients();
    }

    private NovuClient.Event event(ChangeFeed.Change change) {
        return new NovuClient.Event(settings.workflow(), recipients(change), change.payloadJson(), change.transactionId());
    }

    private NotificationLog.Entry entry(ChangeFeed.Change change, String action, String transactionId, String outcome, String reason, int httpStatus) {
        outcomes.computeIfAbsent(outcome, o -> new AtomicLong()).incrementAndGet();
        return new NotificationLog.Entry(change, action, transactionId, outcome, reason, httpStatus, System.currentTimeMillis());
    }

    /** The entries an earlier run of this batch saved (their triggers and cancels applied to the open triggers again). */
    private List<NotificationLog.Entry> resumed(long batchId, List<ChangeFeed.Change> changes) {
        JsonNode saved;
        try {
            saved = progressFile.load().orElse(null);
        } catch (IOException | RuntimeException e) {
            LOG.warn("cannot read the delivery progress at {} ({}); the batch is delivered whole", progressFile.path(), e.toString());
            return List.of();
        }
        if (saved == null || saved.path("batch_id").asLong(-1) != batchId) {
            return List.of();
        }
        List<NotificationLog.Entry> entries = new ArrayList<>();
        JsonNode handled = saved.path("handled");
        for (int i = 0; i < handled.size() && i < changes.size(); i++) {
            JsonNode entry = handled.get(i);
            ChangeFeed.Change change = changes.get(i);
            if (!entry.path("row_hash").asText().equals(change.rowHash())) {
                LOG.warn("the saved progress of batch {} does not match its changes; the rest of the batch is delivered again", batchId);
                break;
            }
            String action = entry.path("action").asText();
            String transactionId = entry.path("transaction_id").asText();
            String outcome = entry.path("outcome").asText();
            if (action.equals(NotificationLog.TRIGGER) && !NovuClient.FAILED.equals(outcome)) {
                open.add(change.rowHash(), transactionId);
            } else if (action.equals(NotificationLog.CANCEL) && !NovuClient.FAILED.equals(outcome) && !NovuClient.NOTHING_PENDING.equals(outcome)) {
                open.take(change.rowHash());
            }
            entries.add(new NotificationLog.Entry(change, action, transactionId, outcome, entry.path("reason").asText(),
                    entry.path("http_status").asInt(), entry.path("recorded_at").asLong()));
        }
        return entries;
    }

    private void save(long batchId, List<NotificationLog.Entry> entries) {
        savedAtNanos = System.nanoTime();
        ObjectNode progress = CheckpointFile.JSON.createObjectNode().put("batch_id", batchId);
        ArrayNode handled = progress.putArray("handled");
        for (NotificationLog.Entry entry : entries) {
            handled.addObject().put("row_hash", entry.change().rowHash()).put("action", entry.action()).put("transaction_id", entry.transactionId())
                    .put("outcome", entry.outcome()).put("reason", entry.reason()).put("http_status", entry.httpStatus())
                    .put("recorded_at", entry.recordedAtMillis());
        }
        progressFile.save(progress);
    }
}
