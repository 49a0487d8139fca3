package io.streamwatch.jobs.alarms;

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
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingDeque;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.spark.sql.SparkSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Delivers the alarms to their rules' Discord webhooks on a thread of its own, so delivery never holds up matching.
 * The alarms table is the outbox: each batch's alarms are handed over in memory once committed (or, when too many
 * are waiting, read back from the table), and the progress (query, batch, alarms delivered in it) is saved in the
 * checkpoint every {@link #SAVE_EVERY}, after a batch's last message, and at a stop. A restart resumes after the
 * last message saved: at least once, and no duplicates when nothing crashed. The webhook is the rule's as it is at delivery: a deleted rule's alarms are
 * dropped, a webhook outside the allowed prefixes is never called, a webhook that answered 404 is not called again.
 * A step that fails (a table read, a progress write) never ends delivery: it is counted, said once per kind, and
 * retried with backoff, while {@link #failing()} says so. A progress file that cannot be read re-sends only the last
 * batch the table holds, never the query's history.
 */
final class AlarmDelivery implements AutoCloseable {
    static final int MAX_ALARMS_IN_MEMORY = 10_000;
    /**
     * How often the progress is saved while messages flow (and always after a batch's last): a crash repeats at most
     * the messages of this long, a stop none.
     */
    static final Duration SAVE_EVERY = Duration.ofMillis(200);
    private static final Logger LOG = LoggerFactory.getLogger(AlarmDelivery.class);
    private static final String DELIVER = "deliver";
    private static final String SAVE = "save its progress";

    /** What is delivered so far: all batches before {@code batchId}, and the first {@code delivered} alarms of it. */
    record Progress(String queryId, long batchId, int delivered) {
    }

    /** A batch to deliver: its alarms, or null to read them from the table. */
    private record Work(long batchId, List<Alarm> alarms) {
    }

    private final SparkSession spark;
    private final AlarmsTable table;
    private final CheckpointFile progressFile;
    private final RulesView rules;
    private final WebhookPrefixes allowed;
    private final DiscordWebhook discord;
    private final LinkedBlockingDeque<Work> queue = new LinkedBlockingDeque<>();
    private final AtomicLong alarmsInMemory = new AtomicLong();
    private final Map<String, AtomicLong> outcomes = new ConcurrentHashMap<>();
    private final Set<String> goneWebhooks = ConcurrentHashMap.newKeySet();
    private final Set<String> warnedRules = ConcurrentHashMap.newKeySet();
    private final Thread thread;
    private final Runnable onChange;
    private volatile Progress progress;
    private volatile long recoveredThrough = -1;
    private volatile boolean stopping;
    private volatile boolean idle = true;
    private final Set<String> failingSteps = ConcurrentHashMap.newKeySet();
    private final AtomicLong errors = new AtomicLong();
    private final Set<String> warnedErrors = ConcurrentHashMap.newKeySet();
    private long savedAtNanos;

    AlarmDelivery(SparkSession spark, AlarmsTable table, String checkpoint, RulesView rules, WebhookPrefixes allowed, Runnable onChange) {
        this.spark = spark;
        this.table = table;
        this.progressFile = new CheckpointFile(checkpoint, "streamwatch-delivery/progress.json", spark.sparkContext().hadoopConfiguration());
        this.rules = rules;
        this.allowed = allowed;
        this.onChange = onChange;
        this.discord = new DiscordWebhook(() -> stopping);
        this.thread = new Thread(this::run, "streamwatch-alarm-delivery");
        this.thread.setDaemon(true);
    }

    /**
     * Called with the query's id once it started (and again before its first batch; the first call counts):
     * resumes what an earlier run of this checkpoint left undelivered, reading those alarms from the table;
     * later offers of the batches read here are ignored.
     */
    synchronized void resume(String queryId) {
        if (progress != null) {
            return;
        }
        Progress saved = load(queryId).filter(p -> p.queryId().equals(queryId)).orElse(new Progress(queryId, -1, 0));
        progress = saved;
        List<Long> batches = table.batchesAfter(spark, queryId, saved.batchId() - 1);
        for (long batchId : batches) {
            queue.add(new Work(batchId, null));
            recoveredThrough = batchId;
        }
        if (batches.stream().anyMatch(batchId -> batchId > saved.batchId())) {
            LOG.info("resuming delivery after alarm {} of batch {}: batches up to {} are read back from the table",
                    saved.delivered(), saved.batchId(), recoveredThrough);
        }
        thread.start();
    }

    /** Hands over a committed batch's alarms (in delivery order); returns at once. */
    synchronized void offer(long batchId, List<Alarm> alarms) {
        if (alarms.isEmpty() || batchId <= recoveredThrough) {
            return;
        }
        if (alarmsInMemory.get() + alarms.size() > MAX_ALARMS_IN_MEMORY) {
            queue.add(new Work(batchId, null));
        } else {
            alarmsInMemory.addAndGet(alarms.size());
            queue.add(new Work(batchId, alarms));
        }
        idle = false;
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

    /** Whether everything handed over is delivered (or given up for a stated reason). */
    boolean isIdle() {
        return idle && queue.isEmpty();
    }

    private void run() {
        int failures = 0;
        try {
            while (!stopping) {
                Work work = queue.poll(100, TimeUnit.MILLISECONDS);
                if (work == null) {
                    idle = true;
                    continue;
                }
                idle = false;
                try {
                    deliver(work);
                    failures = 0;
                    recovered(DELIVER);
                } catch (RuntimeException e) {
                    queue.addFirst(work);
                    failed(DELIVER, "deliver batch " + work.batchId(), e);
                    Thread.sleep(Math.min(30_000L, 100L << Math.min(failures++, 9)));
                }
            }
        } catch (DeliveryStopped | InterruptedException e) {
            LOG.info("alarm delivery stopped; the rest is delivered after a restart");
        }
        save(progress);
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
        if (failingSteps.remove(kind)) {
            LOG.info("alarm delivery can {} again ({} failed step(s) so far)", kind, errors.get());
            onChange.run();
        }
    }

    private void deliver(Work work) throws DeliveryStopped, InterruptedException {
        List<Alarm> alarms = work.alarms() != null ? work.alarms() : table.alarmsOf(spark, progress.queryId(), work.batchId());
        int from = work.batchId() == progress.batchId() ? Math.min(progress.delivered(), alarms.size()) : 0;
        if (work.alarms() != null) {
            alarmsInMemory.addAndGet(-from);
        }
        for (int i = from; i < alarms.size(); i++) {
            String outcome = deliver(alarms.get(i));
            outcomes.computeIfAbsent(outcome, o -> new AtomicLong()).incrementAndGet();
            progress = new Progress(progress.queryId(), work.batchId(), i + 1);
            if (work.alarms() != null) {
                alarmsInMemory.decrementAndGet();
            }
            if (System.nanoTime() - savedAtNanos > SAVE_EVERY.toNanos() || i == alarms.size() - 1) {
                save(progress);
                onChange.run();
            }
        }
    }

    private String deliver(Alarm alarm) throws DeliveryStopped, InterruptedException {
        Optional<Rule> rule = rules.rule(alarm.ruleId());
        if (rule.isEmpty()) {
            return "rule_deleted";
        }
        String url = rule.get().webhookUrl();
        if (!allowed.allows(url)) {
            if (warnedRules.add(alarm.ruleId() + " not allowed")) {
                LOG.warn("rule {}: webhook {} is outside the allowed prefixes; its alarms are not sent", alarm.ruleId(), WebhookPrefixes.mask(url));
            }
            return "not_allowed";
        }
        if (goneWebhooks.contains(url)) {
            return "webhook_gone";
        }
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
     * The saved progress. One that cannot be read (torn, empty, not ours) falls back to what the table proves: every
     * batch it holds but the last was handed to delivery before the next began, so only the last is delivered again.
     */
    private Optional<Progress> load(String queryId) {
        try {
            return progressFile.load().map(json -> new Progress(json.get("query_id").asText(), json.get("batch_id").asLong(), json.get("delivered").asInt()));
        } catch (IOException | RuntimeException e) {
            List<Long> batches = table.batchesAfter(spark, queryId, -1);
            long last = batches.isEmpty() ? -1 : batches.get(batches.size() - 1);
            LOG.warn("cannot read the delivery progress at {} ({}); taking the alarms of the table's batches before {} as delivered and "
                    + "delivering batch {} again", progressFile.path(), e.getClass().getSimpleName(), last, last);
            errors.incrementAndGet();
            return Optional.of(new Progress(queryId, last, 0));
        }
    }

    /** Saves the progress; a failure is counted and said, and the next save writes the newer progress. */
    private void save(Progress next) {
        savedAtNanos = System.nanoTime();
        try {
            progressFile.save(CheckpointFile.JSON.createObjectNode().put("query_id", next.queryId()).put("batch_id", next.batchId())
                    .put("delivered", next.delivered()));
            recovered(SAVE);
        } catch (RuntimeException e) {
            failed(SAVE, "save the delivery progress", e);
        }
    }

    /** Delivers what is waiting for at most {@code grace}, then stops; what is left goes after a restart. */
    void close(Duration grace) {
        long deadline = System.nanoTime() + grace.toNanos();
        while (!isIdle() && thread.isAlive() && System.nanoTime() < deadline) {
            try {
                Thread.sleep(50);
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
        try {
            thread.join(20_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
