package io.streamwatch.jobs.alarms;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.streamwatch.cli.CommandFailure;
import io.streamwatch.jobs.common.CheckpointFile;
import io.streamwatch.jobs.common.ExactlyOnceAppend;
import io.streamwatch.jobs.common.KafkaRecordsOnce;
import io.streamwatch.jobs.common.StartingOffsets;
import io.streamwatch.rules.Alarm;
import io.streamwatch.rules.Rule;
import io.streamwatch.rules.RuleIndex;
import io.streamwatch.rules.RulesView;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The alarms job's consumer engine ({@code --engine consumer}): the driver reads the metrics topic with a plain
 * Kafka consumer and matches each poll at once against the rules view's index, with no trigger, planning, task or
 * checkpoint write between a metric and its alarm. Each poll that raises alarms or quarantines records is a batch
 * of the {@link AlarmOutbox}, written durably before delivery sees it, exactly as the micro-batch engine's are; the
 * {@link AlarmRecorder} commits it to Delta off this path, the quarantine included.
 *
 * <p>Where it read is saved in the checkpoint ({@code streamwatch-consumer/positions.json}) every
 * {@link #SAVE_POSITIONS_EVERY} and at a stop, always after the outbox holds what the records before it raised. A
 * restart reads again from there and skips every record the alarms table or its quarantine holds (which, once the
 * outbox's leftovers are recorded, is every record that raised something): nothing is raised twice, and what it
 * reads again raised nothing. Stateful rules are decided in record order (Kafka timestamp, partition, offset) within
 * a poll, from the states the table held at the start.
 */
final class AlarmConsumer implements AutoCloseable {
    static final String FOLDER = "streamwatch-consumer";
    static final Duration SAVE_POSITIONS_EVERY = Duration.ofSeconds(1);
    private static final Duration POLL = Duration.ofMillis(100);
    private static final Duration PARTITIONS_CHECK_EVERY = Duration.ofSeconds(5);
    private static final Logger LOG = LoggerFactory.getLogger(AlarmConsumer.class);
    private static final Map<String, AlarmConsumer> RUNNING = new ConcurrentHashMap<>();
    private static final Comparator<ConsumerRecord<String, String>> RECORD_ORDER = Comparator
            .<ConsumerRecord<String, String>>comparingLong(ConsumerRecord::timestamp)
            .thenComparingInt(ConsumerRecord::partition).thenComparingLong(ConsumerRecord::offset);

    private final String queryName;
    private final String topic;
    private final StartingOffsets.Position starting;
    private final CheckpointFile positionsFile;
    private final KafkaConsumer<String, String> consumer;
    private final String queryId;
    private final Map<TopicPartition, Long> positions = new HashMap<>();
    private long nextBatchId;
    private volatile boolean stopping;
    private volatile long lastPollMillis;
    private volatile long lag;

    private AlarmConsumer(String queryName, String bootstrapServers, String topic, StartingOffsets.Position starting, CheckpointFile positionsFile,
                          String queryId, long nextBatchId, Map<TopicPartition, Long> saved) {
        this.queryName = queryName;
        this.topic = topic;
        this.starting = starting;
        this.positionsFile = positionsFile;
        this.queryId = queryId;
        this.nextBatchId = nextBatchId;
        this.positions.putAll(saved);
        Properties props = new Properties();
        props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest"); // a position gone to retention: read what is left
        props.put(ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, "50");
        props.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, "20000");
        props.put(ConsumerConfig.CLIENT_ID_CONFIG, "streamwatch-alarms-" + queryName);
        this.consumer = new KafkaConsumer<>(props, new StringDeserializer(), new StringDeserializer());
    }

    /**
     * The engine of this checkpoint: its query id and positions as saved, or new ones (saved at once). Refuses a
     * checkpoint the micro-batch engine wrote.
     */
    static AlarmConsumer open(String queryName, String bootstrapServers, String topic, StartingOffsets.Position starting, String checkpoint,
                              Configuration hadoop, AlarmOutbox outbox) throws IOException {
        Path sparkOffsets = new Path(checkpoint, "offsets");
        if (sparkOffsets.getFileSystem(hadoop).exists(sparkOffsets)) {
            throw new CommandFailure("the checkpoint " + checkpoint + " is the micro-batch engine's; the consumer engine needs a checkpoint of its own");
        }
        CheckpointFile file = new CheckpointFile(checkpoint, FOLDER + "/positions.json", hadoop);
        Optional<JsonNode> saved = file.load();
        String queryId = saved.map(json -> json.path("query_id").asText()).filter(id -> !id.isEmpty()).orElse(UUID.randomUUID().toString());
        long nextBatchId = saved.map(json -> json.path("next_batch_id").asLong()).orElse(0L);
        for (AlarmOutbox.Batch batch : outbox.pending()) {
            nextBatchId = Math.max(nextBatchId, batch.batchId() + 1);
        }
        Map<TopicPartition, Long> positions = new HashMap<>();
        saved.ifPresent(json -> json.path("positions").fields().forEachRemaining(entry -> {
            int colon = entry.getKey().lastIndexOf(':');
            positions.put(new TopicPartition(entry.getKey().substring(0, colon), Integer.parseInt(entry.getKey().substring(colon + 1))),
                    entry.getValue().asLong());
        }));
        return new AlarmConsumer(queryName, bootstrapServers, topic, starting, file, queryId, nextBatchId, positions);
    }

    /** Whether this checkpoint is the consumer engine's. */
    static boolean owns(String checkpoint, Configuration hadoop) throws IOException {
        Path folder = new Path(checkpoint, FOLDER);
        return folder.getFileSystem(hadoop).exists(folder);
    }

    /** The running engine of this query name in this JVM, if any (what Spark's active queries are for the other engine). */
    static Optional<AlarmConsumer> running(String queryName) {
        return Optional.ofNullable(RUNNING.get(queryName));
    }

    /** The checkpoint's own id: the outbox's, the delivery progress's and the alarms table's key for its batches. */
    String queryId() {
        return queryId;
    }

    /**
     * Reads and matches until {@link #stop()}: each poll's records not held by the table at {@code held}, against the
     * index as it is when the poll returns, the stateful rules from {@code states}; batch ids go on after
     * {@code lastBatchRecorded}, the last the alarms table holds of this query.
     */
    void run(RulesView rules, KafkaRecordsOnce.Held held, Map<String, AlarmsTable.RuleState> states, long lastBatchRecorded,
             AlarmHandOver handOver) {
        nextBatchId = Math.max(nextBatchId, lastBatchRecorded + 1);
        if (RUNNING.putIfAbsent(queryName, this) != null) {
            throw new CommandFailure("an alarms query named " + queryName + " runs in this JVM already");
        }
        try {
            assignNewPartitions();
            savePositions();
            long savedAt = System.nanoTime();
            long partitionsCheckedAt = System.nanoTime();
            while (!stopping) {
                List<ConsumerRecord<String, String>> polled = new ArrayList<>();
                consumer.poll(POLL).forEach(polled::add);
                lastPollMillis = System.currentTimeMillis();
                if (!polled.isEmpty()) {
                    match(polled, rules, held, states, handOver);
                }
                if (System.nanoTime() - savedAt >= SAVE_POSITIONS_EVERY.toNanos()) {
                    savePositions();
                    savedAt = System.nanoTime();
                    lag = consumer.assignment().stream().mapToLong(partition -> consumer.currentLag(partition).orElse(0)).sum();
                    handOver.report();
                }
                if (System.nanoTime() - partitionsCheckedAt >= PARTITIONS_CHECK_EVERY.toNanos()) {
                    assignNewPartitions();
                    partitionsCheckedAt = System.nanoTime();
                }
            }
        } catch (WakeupException e) {
            if (!stopping) {
                throw e;
            }
        } finally {
            RUNNING.remove(queryName, this);
        }
        savePositions();
        LOG.info("the consumer engine stopped: positions saved, batch {} next", nextBatchId);
    }

    /** One poll: matched, written to the outbox and handed over; the positions move past it only then. */
    private void match(List<ConsumerRecord<String, String>> polled, RulesView rules, KafkaRecordsOnce.Held held,
                       Map<String, AlarmsTable.RuleState> states, AlarmHandOver handOver) {
        long beganMillis = System.currentTimeMillis();
        rules.requireRunning(); // a frozen rule set ends the job, never matches on silently
        RuleIndex index = rules.index();
        polled.sort(RECORD_ORDER);
        Map<TopicPartition, long[]> read = new HashMap<>();
        List<Alarm> alarms = new ArrayList<>();
        List<AlarmOutbox.Quarantined> quarantined = new ArrayList<>();
        for (ConsumerRecord<String, String> record : polled) {
            long[] range = read.computeIfAbsent(new TopicPartition(record.topic(), record.partition()), p -> new long[] {record.offset(), record.offset()});
            range[0] = Math.min(range[0], record.offset());
            range[1] = Math.max(range[1], record.offset());
            if (held.holds(record.topic(), record.partition(), record.offset())) {
                continue;
            }
            AlarmMatching.Reading reading = AlarmMatching.Reading.of(record.key(), record.value());
            if (!reading.isMetric()) {
                quarantined.add(new AlarmOutbox.Quarantined(record.key(), record.value(), record.topic(), record.partition(), record.offset(),
                        record.timestamp(), reading.reason()));
                continue;
            }
            for (Rule rule : index.rulesFor(record.key())) {
                boolean matched = rule.matches(reading.value());
                Alarm.State raised = matched ? Alarm.State.FIRING : null;
                if (rule.isStateful()) {
                    AlarmsTable.RuleState.Evaluated evaluated = states.getOrDefault(rule.id(), AlarmsTable.RuleState.NONE)
                            .evaluate(matched, record.timestamp(), rule.cooldownSeconds() * 1000L, rule.notifyResolved());
                    states.put(rule.id(), evaluated.next());
                    raised = evaluated.raised();
                }
                if (raised != null) {
                    alarms.add(new Alarm(rule.id(), record.key(), reading.value(), rule.threshold(), rule.operator(), raised, record.timestamp(),
                            record.topic(), record.partition(), record.offset()));
                }
            }
        }
        long matchedMillis = System.currentTimeMillis();
        alarms.sort(AlarmsTable.DELIVERY_ORDER);
        List<KafkaRecordsOnce.Range> ranges = new ArrayList<>();
        read.forEach((partition, range) -> ranges.add(new KafkaRecordsOnce.Range(partition.topic(), partition.partition(), range[0], range[1])));
        AlarmOutbox.Batch batch = new AlarmOutbox.Batch(queryId, nextBatchId, List.copyOf(ranges), List.copyOf(alarms), List.copyOf(quarantined));
        handOver.handOver(batch, quarantined.size(), beganMillis, matchedMillis);
        nextBatchId++;
        read.forEach((partition, range) -> positions.merge(partition, range[1] + 1, Math::max));
    }

    /** Assigns the topic's partitions not assigned yet: at their saved position, else where a new checkpoint starts. */
    private void assignNewPartitions() {
        List<TopicPartition> all = new ArrayList<>();
        consumer.partitionsFor(topic, Duration.ofSeconds(30)).forEach(info -> all.add(new TopicPartition(topic, info.partition())));
        if (all.isEmpty()) {
            throw new IllegalStateException("the metrics topic " + topic + " does not exist");
        }
        if (consumer.assignment().containsAll(all)) {
            return;
        }
        boolean firstAssignment = consumer.assignment().isEmpty();
        consumer.assign(all);
        List<TopicPartition> fresh = new ArrayList<>();
        for (TopicPartition partition : all) {
            Long position = positions.get(partition);
            if (position != null) {
                consumer.seek(partition, position);
            } else {
                fresh.add(partition);
            }
        }
        // A new checkpoint starts where it is told; a partition added later is read from its beginning.
        if (firstAssignment && starting == StartingOffsets.Position.LATEST) {
            consumer.seekToEnd(fresh);
        } else {
            consumer.seekToBeginning(fresh);
        }
        for (TopicPartition partition : fresh) {
            positions.put(partition, consumer.position(partition, Duration.ofSeconds(30)));
        }
    }

    /** Saves the positions and the next batch id (a failure is said; the next save writes newer ones). */
    private void savePositions() {
        ObjectNode json = CheckpointFile.JSON.createObjectNode().put("query_id", queryId).put("next_batch_id", nextBatchId);
        ObjectNode saved = json.putObject("positions");
        positions.forEach((partition, position) -> saved.put(partition.topic() + ":" + partition.partition(), position));
        try {
            positionsFile.save(json);
        } catch (RuntimeException e) {
            LOG.warn("cannot save the consumer's positions in {} ({}); a restart reads again from the last saved ones", positionsFile.path(),
                    e.getClass().getSimpleName());
        }
    }

    /** When it last polled (Unix millis; 0 before the first poll). */
    long lastPollMillis() {
        return lastPollMillis;
    }

    /** Records of the topic it has not read, as of its last second. */
    long lag() {
        return lag;
    }

    /** Ends {@link #run} after the poll in progress (from any thread). */
    void stop() {
        stopping = true;
        consumer.wakeup();
    }

    @Override
    public void close() {
        consumer.close(Duration.ofSeconds(5));
    }
}
