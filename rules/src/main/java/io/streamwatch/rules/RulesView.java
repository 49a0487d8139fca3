package io.streamwatch.rules;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The materialized view of the compacted {@code rules} topic: every rule, by id and by metric name, kept current by
 * a background thread. Each view reads every partition from the beginning on its own, with no consumer group
 * (through a shared group each replica would see only some rules). A null or empty value deletes the rule; a
 * record that is not a rule is skipped with a warning (its key, never its webhook). A view that stops following its
 * topic (deleted, access revoked) says so once and fails every later {@link #requireRunning()}.
 */
public final class RulesView implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(RulesView.class);
    private static final Duration POLL = Duration.ofMillis(100);
    private static final long TOPIC_CHECK_NANOS = TimeUnit.SECONDS.toNanos(2);

    private final String topic;
    private final KafkaConsumer<String, String> consumer;
    private final Map<String, Rule> rules = new ConcurrentHashMap<>();
    private final Map<Integer, Long> positions = new ConcurrentHashMap<>();
    private final CountDownLatch loaded = new CountDownLatch(1);
    private final Thread thread;
    private final Object changed = new Object();
    private volatile Map<Integer, Long> endOffsetsAtStart;
    private volatile RuleIndex index = RuleIndex.EMPTY;
    private volatile boolean indexStale;
    private volatile boolean closed;
    private volatile RuntimeException failure;

    private RulesView(String bootstrapServers, String topic) {
        this.topic = topic;
        Properties props = new Properties();
        props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        props.put(ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, "100");
        props.put(ConsumerConfig.CLIENT_ID_CONFIG, "streamwatch-rules-view");
        this.consumer = new KafkaConsumer<>(props, new StringDeserializer(), new StringDeserializer());
        this.thread = new Thread(this::run, "streamwatch-rules-view");
        this.thread.setDaemon(true);
    }

    /** Starts reading the topic (which must exist) in a background thread. */
    public static RulesView start(String bootstrapServers, String topic) {
        RulesView view = new RulesView(bootstrapServers, topic);
        view.thread.start();
        return view;
    }

    /**
     * Waits until the view holds every record the topic had when it started (before matching the first metric,
     * so a rule created earlier is never missed); false on timeout.
     */
    public boolean awaitLoaded(Duration timeout) throws InterruptedException {
        boolean done = loaded.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
        throwIfFailed();
        return done;
    }

    /** Loaded and still reading (for a health check). */
    public boolean isHealthy() {
        return loaded.getCount() == 0 && failure == null && !closed;
    }

    /**
     * Throws when the view no longer follows its topic (the topic was deleted, access to it was revoked, the view
     * was closed): a user of the rules must fail rather than go on with a frozen rule set.
     */
    public void requireRunning() {
        throwIfFailed();
        if (closed) {
            throw new IllegalStateException("rules view of topic " + topic + " is closed");
        }
    }

    /** Waits until the view has applied the record at this offset (read-your-writes); false on timeout. */
    public boolean awaitApplied(int partition, long offset, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        synchronized (changed) {
            while (positions.getOrDefault(partition, -1L) <= offset) {
                throwIfFailed();
                long left = deadline - System.nanoTime();
                if (left <= 0 || closed) {
                    return false;
                }
                TimeUnit.NANOSECONDS.timedWait(changed, left);
            }
        }
        return true;
    }

    public Optional<Rule> rule(String id) {
        return Optional.ofNullable(rules.get(id));
    }

    public Collection<Rule> rules() {
        return List.copyOf(rules.values());
    }

    /** The rules by metric name as they are now; rebuilt only after a change. */
    public RuleIndex index() {
        if (indexStale) {
            synchronized (this) {
                if (indexStale) {
                    indexStale = false;
                    index = RuleIndex.of(rules.values());
                }
            }
        }
        return index;
    }

    private void run() {
        try {
            List<TopicPartition> partitions = new ArrayList<>();
            consumer.partitionsFor(topic, Duration.ofSeconds(30))
                    .forEach(info -> partitions.add(new TopicPartition(topic, info.partition())));
            if (partitions.isEmpty()) {
                throw new IllegalStateException("topic " + topic + " does not exist");
            }
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            Map<Integer, Long> ends = new HashMap<>();
            consumer.endOffsets(partitions).forEach((partition, end) -> ends.put(partition.partition(), end));
            endOffsetsAtStart = ends;
            long topicCheckedAt = System.nanoTime();
            while (!closed) {
                for (ConsumerRecord<String, String> record : consumer.poll(POLL)) {
                    apply(record);
                }
                if (System.nanoTime() - topicCheckedAt > TOPIC_CHECK_NANOS) {
                    topicCheckedAt = System.nanoTime();
                    if (consumer.partitionsFor(topic, Duration.ofSeconds(10)).isEmpty()) {
                        throw new IllegalStateException("the topic no longer exists");
                    }
                }
                for (TopicPartition partition : partitions) {
                    positions.put(partition.partition(), consumer.position(partition));
                }
                if (loaded.getCount() > 0 && ends.entrySet().stream().allMatch(e -> positions.get(e.getKey()) >= e.getValue())) {
                    LOG.info("rules view loaded: {} rules from topic {}", rules.size(), topic);
                    loaded.countDown();
                }
                synchronized (changed) {
                    changed.notifyAll();
                }
            }
        } catch (WakeupException e) {
            if (!closed) {
                failure = new IllegalStateException("rules view woken up unexpectedly");
            }
        } catch (RuntimeException e) {
            failure = new IllegalStateException("rules view of topic " + topic + " stopped: " + e.getMessage(), e);
            LOG.error("{}", failure.getMessage());
        } finally {
            consumer.close(Duration.ofSeconds(5));
            loaded.countDown();
            synchronized (changed) {
                changed.notifyAll();
            }
        }
    }

    private void apply(ConsumerRecord<String, String> record) {
        Optional<RuleJson.Parsed> parsed;
        try {
            parsed = RuleJson.fromRecord(record.key(), record.value());
        } catch (RuntimeException e) {
            LOG.warn("skipping record {} of {} at partition {} offset {}: unreadable ({})", record.key(), topic, record.partition(),
                    record.offset(), e.getClass().getSimpleName());
            return;
        }
        if (parsed.isEmpty()) {
            if (record.key() != null && rules.remove(record.key()) != null) {
                indexStale = true;
            }
        } else if (parsed.get().rule().isPresent()) {
            rules.put(record.key(), parsed.get().rule().get());
            indexStale = true;
        } else {
            LOG.warn("skipping record {} of {} at partition {} offset {}: {}", record.key(), topic, record.partition(),
                    record.offset(), String.join("; ", parsed.get().errors()));
        }
    }

    private void throwIfFailed() {
        if (failure != null) {
            throw failure;
        }
    }

    @Override
    public void close() {
        closed = true;
        consumer.wakeup();
        try {
            thread.join(10_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
