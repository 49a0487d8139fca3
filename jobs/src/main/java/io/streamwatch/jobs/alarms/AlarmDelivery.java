package io.streamwatch.jobs.alarms;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.streamwatch.jobs.alarms.discord.DiscordMessage;
import io.streamwatch.jobs.alarms.discord.DiscordWebhook;
import io.streamwatch.cli.Cli;
import io.streamwatch.jobs.common.CheckpointFile;
import io.streamwatch.jobs.common.DeliveryStopped;
import io.streamwatch.rules.Alarm;
import io.streamwatch.rules.Rule;
import io.streamwatch.rules.RulesView;
import io.streamwatch.rules.WebhookPrefixes;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.BitSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.hadoop.conf.Configuration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Delivers the alarms of the {@link AlarmOutbox} to their rules' Discord webhooks, in lanes: one per webhook, each
 * in order, each on a thread of its own while it has work (at most {@link #MAX_LANE_THREADS} at once), so one slow,
 * rate-limited or failing webhook delays only its own rules' alarms. A lane keeps up to {@link #MAX_IN_MEMORY_PER_LANE}
 * alarms in memory and reads the rest back from the outbox when it gets to them.
 *
 * <p>The progress (which alarms of which batch are done) is saved in the checkpoint every {@link #SAVE_EVERY} and at a
 * stop: a restart re-sends at most the alarms delivered in the last moments before a crash, a graceful stop none. A
 * progress file that cannot be read re-sends what the outbox still holds (a few seconds of alarms), never the history.
 * The webhook is the rule's as it is at delivery: a deleted rule's alarms are dropped, a webhook outside the allowed
 * prefixes is never called, a webhook that answered 404 is not called again. A step that fails (an outbox read, a
 * progress write) never ends delivery: it is counted, said once per kind, retried with backoff, and {@link #failing()}
 * says so.
 */
final class AlarmDelivery implements AutoCloseable {
    static final int MAX_LANE_THREADS = 64;
    static final int MAX_IN_MEMORY_PER_LANE = 10_000;
    /** How often the progress is saved while messages flow: a crash repeats at most the messages of this long. */
    static final Duration SAVE_EVERY = Duration.ofMillis(200);
    private static final Logger LOG = LoggerFactory.getLogger(AlarmDelivery.class);
    private static final String DELIVER = "deliver";
    private static final String SAVE = "save its progress";

    /** An alarm waiting in its lane; {@code alarm} null: read it from the outbox. */
    private record Waiting(long batchId, int index, Alarm alarm) {
    }

    /** A batch's alarms done so far. */
    private record Done(int size, BitSet indices) {
        boolean complete() {
            return indices.cardinality() == size;
        }
    }

    /** One webhook's alarms, delivered in order by one thread at a time. */
    private final class Lane implements Runnable {
        final ArrayDeque<Waiting> waiting = new ArrayDeque<>();
        int inMemory;
        boolean running;
        private AlarmOutbox.Batch lastRead;

        /** Adds an alarm; starts the lane's thread unless it runs. */
        synchronized void add(long batchId, int index, Alarm alarm) {
            boolean keep = inMemory < MAX_IN_MEMORY_PER_LANE;
            waiting.add(new Waiting(batchId, index, keep ? alarm : null));
            if (keep) {
                inMemory++;
            }
            if (!running && !stopping) {
                running = true;
                try {
                    lanes.execute(this);
                } catch (java.util.concurrent.RejectedExecutionException e) {
                    running = false; // stopped: a restart delivers it from the outbox
                }
            }
        }

        synchronized int size() {
            return waiting.size();
        }

        private synchronized Waiting next() {
            Waiting next = waiting.peek();
            if (next == null || stopping) {
                running = false;
            }
            return next == null || stopping ? null : next;
        }

        private synchronized void remove(Waiting done) {
            waiting.poll();
            if (done.alarm() != null) {
                inMemory--;
            }
        }

        @Override
        public void run() {
            int failures = 0;
            try {
                for (Waiting next = next(); next != null; next = next()) {
                    try {
                        Alarm alarm = next.alarm() != null ? next.alarm() : fromOutbox(next);
                        String outcome = deliver(next.batchId(), alarm);
                        outcomes.computeIfAbsent(outcome, o -> new AtomicLong()).incrementAndGet();
                        remove(next);
                        done(next.batchId(), next.index());
                        failures = 0;
                        recovered(DELIVER);
                    } catch (RuntimeException e) {
                        failed(DELIVER, "deliver an alarm of batch " + next.batchId(), e);
                        Thread.sleep(Math.min(30_000L, 100L << Math.min(failures++, 9)));
                    }
                }
            } catch (DeliveryStopped | InterruptedException e) {
                synchronized (this) {
                    running = false;
                }
            }
        }

        private Alarm fromOutbox(Waiting next) {
            if (lastRead == null || lastRead.batchId() != next.batchId()) {
                lastRead = outbox.read(next.batchId()).orElseThrow(() -> new IllegalStateException("batch " + next.batchId() + " is no longer in the outbox"));
            }
            return lastRead.alarms().get(next.index());
        }
    }

    private final AlarmOutbox outbox;
    private final CheckpointFile progressFile;
    private final RulesView rules;
    private final WebhookPrefixes allowed;
    private final DiscordWebhook discord;
    private final ThreadPoolExecutor lanes;
    private final ScheduledExecutorService saver;
    private final Map<String, Lane> byWebhook = new ConcurrentHashMap<>();
    private final TreeMap<Long, Done> open = new TreeMap<>();
    private final Map<String, AtomicLong> outcomes = new ConcurrentHashMap<>();
    private final Set<String> goneWebhooks = ConcurrentHashMap.newKeySet();
    private final Set<String> warnedRules = ConcurrentHashMap.newKeySet();
    private final Runnable onChange;
    private final AlarmTrace trace;
    private final Set<String> failingSteps = ConcurrentHashMap.newKeySet();
    private final AtomicLong errors = new AtomicLong();
    private final Set<String> warnedErrors = ConcurrentHashMap.newKeySet();
    private String queryId;
    private long offeredThrough = -1;
    private volatile boolean changed;
    private volatile boolean stopping;

    AlarmDelivery(AlarmOutbox outbox, String checkpoint, Configuration hadoop, RulesView rules, WebhookPrefixes allowed, Runnable onChange,
                  AlarmTrace trace) {
        this.outbox = outbox;
        this.trace = trace;
        this.progressFile = new CheckpointFile(checkpoint, "streamwatch-delivery/progress.json", hadoop);
        this.rules = rules;
        this.allowed = allowed;
        this.onChange = onChange;
        this.discord = new DiscordWebhook(() -> stopping);
        this.lanes = new ThreadPoolExecutor(MAX_LANE_THREADS, MAX_LANE_THREADS, 30, TimeUnit.SECONDS, new LinkedBlockingQueue<>(),
                runnable -> daemon(runnable, "streamwatch-alarm-delivery"));
        this.lanes.allowCoreThreadTimeOut(true);
        this.saver = Executors.newSingleThreadScheduledExecutor(runnable -> daemon(runnable, "streamwatch-alarm-delivery-progress"));
    }

    private static Thread daemon(Runnable runnable, String name) {
        Thread thread = new Thread(runnable, name);
        thread.setDaemon(true);
        return thread;
    }

    /**
     * Resumes what an earlier run of this checkpoint left undelivered in the outbox ({@code leftovers}), after the
     * progress saved; then saves the progress every {@link #SAVE_EVERY} while it changes.
     */
    synchronized void resume(String queryId, List<AlarmOutbox.Batch> leftovers) {
        this.queryId = queryId;
        Map<Long, BitSet> partial = new HashMap<>();
        long deliveredBefore = load(partial);
        int resent = 0;
        for (AlarmOutbox.Batch batch : leftovers) {
            if (batch.batchId() < deliveredBefore && !partial.containsKey(batch.batchId())) {
                outbox.delivered(batch.batchId());
                continue;
            }
            BitSet done = partial.getOrDefault(batch.batchId(), new BitSet());
            resent += batch.alarms().size() - done.cardinality();
            add(batch, done);
        }
        if (resent > 0) {
            LOG.info("resuming delivery: {} alarm(s) of {} batch(es) left in the outbox", resent, leftovers.size());
        }
        saver.scheduleWithFixedDelay(() -> {
            try {
                if (changed) {
                    save();
                }
            } catch (RuntimeException e) { // a task that throws is never run again: the progress would stop being saved
                failed(SAVE, "save the delivery progress", e);
            }
        }, SAVE_EVERY.toMillis(), SAVE_EVERY.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** Hands over a batch written to the outbox (alarms in delivery order); returns at once. */
    synchronized void offer(AlarmOutbox.Batch batch) {
        if (batch.batchId() <= offeredThrough || open.containsKey(batch.batchId())) {
            return; // resumed from the outbox already
        }
        add(batch, new BitSet());
    }

    private void add(AlarmOutbox.Batch batch, BitSet done) {
        offeredThrough = Math.max(offeredThrough, batch.batchId());
        open.put(batch.batchId(), new Done(batch.alarms().size(), done));
        if (open.get(batch.batchId()).complete()) {
            completed(batch.batchId());
        }
        List<Alarm> alarms = batch.alarms();
        for (int i = 0; i < alarms.size(); i++) {
            if (done.get(i)) {
                continue;
            }
            Alarm alarm = alarms.get(i);
            Optional<String> settled = settledWithoutSending(alarm);
            Optional<String> url = settled.isPresent() ? Optional.empty() : rules.rule(alarm.ruleId()).map(Rule::webhookUrl);
            if (url.isEmpty()) {
                outcomes.computeIfAbsent(settled.orElse("rule_deleted"), o -> new AtomicLong()).incrementAndGet();
                done(batch.batchId(), i);
            } else {
                byWebhook.computeIfAbsent(url.get(), webhook -> new Lane()).add(batch.batchId(), i, alarm);
            }
        }
    }

    private synchronized void done(long batchId, int index) {
        Done done = open.get(batchId);
        if (done == null) {
            return;
        }
        boolean wasComplete = done.complete();
        done.indices().set(index);
        changed = true;
        if (done.complete() && !wasComplete) {
            completed(batchId);
        }
    }

    /**
     * A batch is done: its outbox file may go. It stays among the open batches (and in the saved progress) until every
     * earlier batch is done too, so a restart never takes it for undelivered.
     */
    private void completed(long batchId) {
        while (!open.isEmpty() && open.firstEntry().getValue().complete()) {
            open.pollFirstEntry();
        }
        changed = true;
        onChange.run();
        try {
            outbox.delivered(batchId);
        } catch (RuntimeException e) {
            failed(SAVE, "remove batch " + batchId + " from the outbox", e);
        }
    }

    /** Alarms delivered, refused, ... by outcome, since this JVM started. */
    Map<String, Long> outcomes() {
        Map<String, Long> counts = new TreeMap<>();
        outcomes.forEach((outcome, count) -> counts.put(outcome, count.get()));
        return counts;
    }

    long rateLimited() {
        return discord.rateLimited();
    }

    long retried() {
        return discord.retried();
    }

    int goneWebhooks() {
        return goneWebhooks.size();
    }

    /** Steps that failed and were retried, since this JVM started. */
    long errors() {
        return errors.get();
    }

    /** Whether the last step failed (delivery retries it). */
    boolean failing() {
        return !failingSteps.isEmpty();
    }

    /** Alarms waiting for delivery, in all lanes. */
    long waiting() {
        return byWebhook.values().stream().mapToLong(Lane::size).sum();
    }

    /** Alarms waiting in the longest lane. */
    long longestLane() {
        return byWebhook.values().stream().mapToLong(Lane::size).max().orElse(0);
    }

    /** Whether everything handed over is delivered (or given up for a stated reason). */
    synchronized boolean isIdle() {
        return open.isEmpty();
    }

    private void failed(String kind, String step, RuntimeException e) {
        errors.incrementAndGet();
        if (failingSteps.add(kind)) {
            onChange.run();
        }
        if (warnedErrors.add(step.replaceAll("\\d+", "N") + " " + e.getClass().getName())) {
            LOG.warn("alarm delivery could not {} ({}); retrying, delivery goes on", step, Cli.oneLine(e));
        }
    }

    private void recovered(String kind) {
        if (!failingSteps.isEmpty() && failingSteps.remove(kind)) {
            LOG.info("alarm delivery can {} again ({} failed step(s) so far)", kind, errors.get());
            onChange.run();
        }
    }

    /** The outcome of an alarm that is not to be sent (its rule deleted, its webhook not allowed or gone). */
    private Optional<String> settledWithoutSending(Alarm alarm) {
        Optional<Rule> rule = rules.rule(alarm.ruleId());
        if (rule.isEmpty()) {
            return Optional.of("rule_deleted");
        }
        String url = rule.get().webhookUrl();
        if (!allowed.allows(url)) {
            if (warnedRules.add(alarm.ruleId() + " not allowed")) {
                LOG.warn("rule {}: webhook {} is outside the allowed prefixes; its alarms are not sent", alarm.ruleId(), WebhookPrefixes.mask(url));
            }
            return Optional.of("not_allowed");
        }
        return goneWebhooks.contains(url) ? Optional.of("webhook_gone") : Optional.empty();
    }

    private String deliver(long batchId, Alarm alarm) throws DeliveryStopped, InterruptedException {
        Optional<String> settled = settledWithoutSending(alarm);
        if (settled.isPresent()) {
            return settled.get();
        }
        Optional<String> webhook = rules.rule(alarm.ruleId()).map(Rule::webhookUrl);
        if (webhook.isEmpty()) {
            return "rule_deleted";
        }
        String url = webhook.get();
        trace.sent(batchId, alarm);
        DiscordWebhook.Result result = discord.post(url, DiscordMessage.of(alarm).toString());
        switch (result.outcome()) {
            case DELIVERED:
                return "delivered";
            case GONE:
                goneWebhooks.add(url);
                LOG.warn("rule {}: webhook {} is gone ({}); its alarms are no longer sent until the rule gets another webhook",
                        alarm.ruleId(), WebhookPrefixes.mask(url), result.reason());
                return "webhook_gone";
            default:
                if (warnedRules.add(alarm.ruleId() + " " + result.reason())) {
                    LOG.warn("rule {}: Discord refused an alarm ({}); dropped", alarm.ruleId(), result.reason());
                }
                return "refused";
        }
    }

    /**
     * The saved progress: returns the batch before which every alarm is done, and fills {@code partial} with the done
     * alarms of later batches. A file that cannot be read counts nothing as done: what the outbox holds is sent again.
     */
    private long load(Map<Long, BitSet> partial) {
        try {
            Optional<JsonNode> saved = progressFile.load();
            if (saved.isEmpty() || !queryId.equals(saved.get().path("query_id").asText())) {
                return -1;
            }
            JsonNode json = saved.get();
            if (json.has("batch_id")) { // one batch at a time: all before it, and its first "delivered"
                BitSet done = new BitSet();
                done.set(0, json.get("delivered").asInt());
                partial.put(json.get("batch_id").asLong(), done);
                return json.get("batch_id").asLong();
            }
            json.path("partial").fields().forEachRemaining(entry -> {
                BitSet done = new BitSet();
                entry.getValue().forEach(index -> done.set(index.asInt()));
                partial.put(Long.parseLong(entry.getKey()), done);
            });
            return json.get("delivered_before").asLong();
        } catch (IOException | RuntimeException e) {
            LOG.warn("cannot read the delivery progress at {} ({}); delivering again what the outbox holds", progressFile.path(),
                    e.getClass().getSimpleName());
            errors.incrementAndGet();
            partial.clear();
            return -1;
        }
    }

    /** Saves the progress; a failure is counted and said, and the next save writes the newer progress. */
    private void save() {
        ObjectNode json;
        synchronized (this) {
            changed = false;
            json = CheckpointFile.JSON.createObjectNode().put("query_id", queryId)
                    .put("delivered_before", open.isEmpty() ? offeredThrough + 1 : open.firstKey());
            ObjectNode partial = json.putObject("partial");
            open.forEach((batchId, done) -> {
                if (!done.indices().isEmpty()) {
                    done.indices().stream().forEach(partial.withArray(String.valueOf(batchId))::add);
                }
            });
        }
        try {
            progressFile.save(json);
            recovered(SAVE);
        } catch (RuntimeException e) {
            changed = true;
            failed(SAVE, "save the delivery progress", e);
        }
    }

    /** Delivers what is waiting for at most {@code grace}, then stops; what is left goes after a restart. */
    void close(Duration grace) {
        long deadline = System.nanoTime() + grace.toNanos();
        while (!isIdle() && System.nanoTime() < deadline) {
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        close();
    }

    @Override
    public void close() {
        stopping = true;
        lanes.shutdown();
        saver.shutdown();
        try {
            if (!lanes.awaitTermination(20, TimeUnit.SECONDS)) {
                LOG.warn("alarm delivery did not stop within 20 s");
            }
            saver.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (queryId != null) {
            save();
        }
        if (!isIdle()) {
            LOG.info("alarm delivery stopped; the rest is delivered after a restart");
        }
    }
}
