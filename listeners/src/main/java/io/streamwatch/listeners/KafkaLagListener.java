package io.streamwatch.listeners;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.spark.SparkConf;
import org.apache.spark.sql.streaming.SourceProgress;
import org.apache.spark.sql.streaming.StreamingQueryProgress;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Kafka backlog: for every Kafka source of a query, per partition, the newest offset in the topic
 * minus the offset the query has processed ({@code streamwatch_kafka_lag_records{topic, partition}}; with the
 * visits naming {@code visits_reader_lag}), 0 when caught up. Unknown, not 0, until the query's first batch of
 * this run ends: its series are removed when it starts. A graceful stop removes them.
 *
 * <p>The processed offsets come from each batch's progress. The newest ones come from the progress too (what
 * Spark saw when it planned the batch), unless {@code spark.streamwatch.kafka.bootstrapServers} names the brokers:
 * then the topics' current end offsets are read every heartbeat interval and after each batch, on a thread of
 * the listener's own, so the lag keeps growing while a long batch runs or the query idles: one request for all
 * the partitions of the queries concerned (25 queries on one 500-partition topic ask for 500, not 12,500), at most
 * one a second after batches. The callback only hands the progress over: its offsets are parsed there too. The reader
 * uses the client properties of {@code spark.streamwatch.kafka.*} (SASL, TLS); while it cannot read the end offsets
 * (brokers unreachable, credentials refused, Kafka's client missing) it warns once and the lag comes from the progress.
 *
 * <p>With the brokers named, the lag is also given in time ({@code streamwatch_kafka_lag_seconds{topic, partition}}):
 * now minus the Kafka timestamp of the oldest record the query has not processed (the record at its processed
 * offset), 0 when caught up, recomputed every heartbeat so that it grows while a batch is held or the query stalls.
 * It is exact to the record's timestamp (the producer's clock for {@code CreateTime} topics, the broker's for
 * {@code LogAppendTime}) plus one heartbeat interval of staleness; each new processed offset costs one small fetch
 * per partition behind. Without the brokers it is not pushed (the progress holds no record times).
 */
public class KafkaLagListener extends PushingListener {
    public static final String LAG = MetricNaming.VISITS.kafkaLag();
    /** Under both namings: how long the oldest record the query has not processed has been waiting. */
    public static final String LAG_SECONDS = "streamwatch_kafka_lag_seconds";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Logger LOG = LoggerFactory.getLogger(KafkaLagListener.class);
    private static final AtomicBoolean WARNED_NO_CLIENT = new AtomicBoolean();

    /** Reads of the end offsets after batches are at least this far apart (a heartbeat reads regardless). */
    private static final long MIN_READ_INTERVAL_MILLIS = 1_000;

    /**
     * A query's last batch and its group; its processed offsets (topic -> partition -> next offset to read) are
     * parsed on the reader thread, not on Spark's listener thread (a 500-partition topic is a large document).
     */
    private static final class Processed {
        final UUID id;
        final PushGroup group;
        private final StreamingQueryProgress progress;
        private Map<String, Map<Integer, Long>> offsets;

        Processed(UUID id, PushGroup group, StreamingQueryProgress progress) {
            this.id = id;
            this.group = group;
            this.progress = progress;
        }

        synchronized Map<String, Map<Integer, Long>> offsets() {
            if (offsets == null) {
                offsets = processedOffsets(progress);
            }
            return offsets;
        }
    }

    private final KafkaConnection kafka;
    /** Whether the end offsets are read from the brokers (else the progress's latest offsets stand for them). */
    private final boolean liveEndOffsets;
    private volatile boolean endOffsetsFailing;
    private volatile boolean recordTimesFailing;
    private final Map<UUID, Processed> processed = new ConcurrentHashMap<>();
    /** Queries whose batch ended since the last read of the end offsets. */
    private final Set<UUID> progressed = ConcurrentHashMap.newKeySet();
    private final AtomicBoolean readQueued = new AtomicBoolean();
    private volatile long lastReadMillis;
    private volatile ScheduledExecutorService endOffsetReader;
    private KafkaEndOffsets endOffsets;
    private KafkaRecordTimes recordTimes;
    /**
     * The timestamp of the record at each topic, partition and processed offset (it never changes, so a query held at one
     * offset costs one fetch, not one per heartbeat); on the reader thread only, kept to what the last full refresh used.
     */
    private Map<String, Long> timestampAt = new HashMap<>();

    public KafkaLagListener(SparkConf conf) {
        this(StreamwatchSettings.from(conf));
    }

    public KafkaLagListener() {
        this(StreamwatchSettings.fromSparkEnv());
    }

    public KafkaLagListener(StreamwatchSettings settings) {
        super(settings, settings.naming().queryJob());
        this.kafka = settings.kafka();
        boolean clientAvailable = kafka.bootstrapServers().isEmpty() || KafkaConnection.clientAvailable();
        if (!clientAvailable && WARNED_NO_CLIENT.compareAndSet(false, true)) {
            LOG.warn("{} is set but Kafka's client is not on the classpath; the Kafka lag comes from each batch's progress",
                    StreamwatchSettings.KAFKA_BOOTSTRAP_SERVERS);
        }
        this.liveEndOffsets = kafka.bootstrapServers().isPresent() && clientAvailable;
    }

    @Override
    public void onQueryStarted(QueryStartedEvent event) {
        super.onQueryStarted(event);
        guarded("onQueryStarted", () -> remove(groupOf(event.id())));
    }

    @Override
    public void onQueryProgress(QueryProgressEvent event) {
        guarded("onQueryProgress", () -> {
            StreamingQueryProgress progress = event.progress();
            String metric = naming().kafkaLag();
            if (liveEndOffsets && hasKafkaSource(progress)) {
                processed.put(progress.id(), new Processed(progress.id(), groupOf(progress), progress));
                progressed.add(progress.id());
                if (readQueued.compareAndSet(false, true)) {
                    long wait = Math.max(0, lastReadMillis + MIN_READ_INTERVAL_MILLIS - System.currentTimeMillis());
                    endOffsetReader().schedule(() -> guarded("refresh", () -> refresh(false)), wait, TimeUnit.MILLISECONDS);
                }
            } else {
                publish(groupOf(progress), () -> lags(progress, metric));
            }
        });
    }

    @Override
    public void onQueryTerminated(QueryTerminatedEvent event) {
        guarded("onQueryTerminated", () -> {
            processed.remove(event.id());
            if (endOffsetReader != null) {
                endOffsetReader.execute(() -> guarded("close", this::closeWhenIdle));
            }
        });
        removeOnGracefulStop(event);
    }

    /**
     * On the end-offset reader: one read of the current end offsets of every partition the queries to refresh read
     * (those whose batch ended since the last read, or all of them at a heartbeat), however many queries share a topic.
     */
    private void refresh(boolean everyQuery) {
        readQueued.set(false);
        List<Processed> queries = new ArrayList<>();
        if (everyQuery) {
            progressed.clear();
            queries.addAll(processed.values());
        } else {
            for (Iterator<UUID> ids = progressed.iterator(); ids.hasNext(); ) {
                Processed query = processed.get(ids.next());
                ids.remove();
                if (query != null) {
                    queries.add(query);
                }
            }
        }
        if (queries.isEmpty()) {
            return;
        }
        Map<String, Map<Integer, Long>> partitions = new HashMap<>();
        queries.forEach(query -> query.offsets().forEach((topic, offsets) -> partitions.computeIfAbsent(topic, t -> new HashMap<>())
                .putAll(offsets)));
        Map<String, Map<Integer, Long>> latest;
        try {
            lastReadMillis = System.currentTimeMillis();
            latest = endOffsets().latest(partitions);
        } catch (Exception | LinkageError e) {
            if (e instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
            if (!endOffsetsFailing) {
                endOffsetsFailing = true;
                LOG.warn("cannot read the Kafka end offsets from {} ({}); the Kafka lag comes from each batch's progress until it can "
                        + "(check the spark.streamwatch.kafka.* client properties: security.protocol, sasl.*, ssl.*)", kafka, KafkaConnection.describe(e));
            }
            queries.forEach(query -> publish(query.group, () -> lags(query.progress, naming().kafkaLag())));
            return;
        }
        if (endOffsetsFailing) {
            endOffsetsFailing = false;
            LOG.info("reading the Kafka end offsets from {} again", kafka);
        }
        Map<String, Long> times = oldestUnprocessedTimes(queries, latest, everyQuery);
        long now = System.currentTimeMillis();
        queries.forEach(query -> publishLag(query, latest, times, now));
    }

    /**
     * On the end-offset reader: the timestamp of the oldest record each query has not processed, per partition that
     * has one (its processed offset below the end), by {@link #offsetKey}; fetched once per offset.
     */
    private Map<String, Long> oldestUnprocessedTimes(List<Processed> queries, Map<String, Map<Integer, Long>> latest, boolean everyQuery) {
        Map<String, Long> known = new HashMap<>();
        Map<String, Map<Integer, Long>> missing = new HashMap<>();
        queries.forEach(query -> query.offsets().forEach((topic, partitions) -> partitions.forEach((partition, offset) -> {
            long end = latest.getOrDefault(topic, Map.of()).getOrDefault(partition, offset);
            if (end <= offset) {
                return;
            }
            String key = offsetKey(topic, partition, offset);
            Long time = timestampAt.get(key);
            if (time != null) {
                known.put(key, time);
            } else {
                missing.computeIfAbsent(topic, t -> new HashMap<>()).put(partition, offset);
            }
        })));
        if (!missing.isEmpty()) {
            try {
                recordTimes().timestamps(missing).forEach((topic, partitions) -> partitions.forEach((partition, time) ->
                        known.put(offsetKey(topic, partition, missing.get(topic).get(partition)), time)));
                if (recordTimesFailing) {
                    recordTimesFailing = false;
                    LOG.info("reading the Kafka record timestamps from {} again", kafka);
                }
            } catch (RuntimeException | LinkageError e) {
                if (!recordTimesFailing) {
                    recordTimesFailing = true;
                    LOG.warn("cannot read Kafka record timestamps from {} ({}); {} is unknown until it can", kafka,
                            KafkaConnection.describe(e), LAG_SECONDS);
                }
            }
        }
        if (everyQuery) {
            timestampAt = new HashMap<>(known);
        } else {
            timestampAt.putAll(known);
        }
        return known;
    }

    private static String offsetKey(String topic, int partition, long offset) {
        return topic + "/" + partition + "/" + offset;
    }

    private void publishLag(Processed query, Map<String, Map<Integer, Long>> latest, Map<String, Long> oldestTimes, long now) {
        List<MetricSample> samples = new ArrayList<>();
        String metric = naming().kafkaLag();
        query.offsets().forEach((topic, partitions) -> partitions.forEach((partition, offset) -> {
            long end = latest.getOrDefault(topic, Map.of()).getOrDefault(partition, offset);
            Map<String, String> labels = Map.of("topic", topic, "partition", String.valueOf(partition));
            samples.add(new MetricSample(metric, "Kafka offsets not yet processed by the query, per partition.", labels, Math.max(0, end - offset)));
            Long oldest = oldestTimes.get(offsetKey(topic, partition, offset));
            if (end <= offset || oldest != null) {
                samples.add(new MetricSample(LAG_SECONDS, "How long the oldest record the query has not processed has been waiting "
                        + "(now minus its Kafka timestamp); 0 when caught up.", labels, end <= offset ? 0 : Math.max(0, now - oldest) / 1000.0));
            }
        }));
        if (processed.get(query.id) == query) {
            publish(query.group, () -> samples);
        }
    }

    /** On the end-offset reader: without running queries, no client is kept (nor its reconnects). */
    private synchronized void closeWhenIdle() {
        if (processed.isEmpty() && endOffsets != null) {
            endOffsets.close();
            endOffsets = null;
        }
        if (processed.isEmpty() && recordTimes != null) {
            recordTimes.close();
            recordTimes = null;
            timestampAt = new HashMap<>();
        }
    }

    private synchronized KafkaRecordTimes recordTimes() {
        if (recordTimes == null) {
            recordTimes = new KafkaRecordTimes(kafka);
        }
        return recordTimes;
    }

    private synchronized KafkaEndOffsets endOffsets() {
        if (endOffsets == null) {
            endOffsets = new KafkaEndOffsets(kafka);
        }
        return endOffsets;
    }

    private ScheduledExecutorService endOffsetReader() {
        if (endOffsetReader == null) {
            synchronized (this) {
                if (endOffsetReader == null) {
                    endOffsetReader = ownThread("streamwatch-kafka-end-offsets", () -> refresh(true));
                }
            }
        }
        return endOffsetReader;
    }

    static boolean hasKafkaSource(StreamingQueryProgress progress) {
        for (SourceProgress source : progress.sources()) {
            if (source.description() != null && source.description().startsWith("Kafka") && source.endOffset() != null) {
                return true;
            }
        }
        return false;
    }

    /** Every Kafka source's end offsets (the next to read) by topic and partition; the lower one when two sources read one. */
    static Map<String, Map<Integer, Long>> processedOffsets(StreamingQueryProgress progress) {
        Map<String, Map<Integer, Long>> offsets = new HashMap<>();
        for (SourceProgress source : progress.sources()) {
            String description = source.description();
            if (description == null || !description.startsWith("Kafka") || source.endOffset() == null) {
                continue;
            }
            JsonNode end = read(source.endOffset());
            for (Iterator<Map.Entry<String, JsonNode>> topics = end.fields(); topics.hasNext(); ) {
                Map.Entry<String, JsonNode> topic = topics.next();
                for (Iterator<Map.Entry<String, JsonNode>> partitions = topic.getValue().fields(); partitions.hasNext(); ) {
                    Map.Entry<String, JsonNode> partition = partitions.next();
                    long offset = partition.getValue().asLong(-1);
                    if (offset >= 0) {
                        offsets.computeIfAbsent(topic.getKey(), t -> new HashMap<>())
                                .merge(Integer.parseInt(partition.getKey()), offset, Math::min);
                    }
                }
            }
        }
        return offsets;
    }

    @Override
    protected boolean removedWhenStopped() {
        return true;
    }

    static List<MetricSample> lags(StreamingQueryProgress progress, String metric) {
        List<MetricSample> samples = new ArrayList<>();
        for (SourceProgress source : progress.sources()) {
            String description = source.description();
            if (description != null && description.startsWith("Kafka") && source.endOffset() != null && source.latestOffset() != null) {
                samples.addAll(lags(source.endOffset(), source.latestOffset(), metric));
            }
        }
        return samples;
    }

    /** Offsets as the Kafka source writes them: {"topic": {"0": 12, "1": 7}}. */
    static List<MetricSample> lags(String endOffsetJson, String latestOffsetJson, String metric) {
        JsonNode end = read(endOffsetJson);
        JsonNode latest = read(latestOffsetJson);
        List<MetricSample> samples = new ArrayList<>();
        for (Iterator<Map.Entry<String, JsonNode>> topics = latest.fields(); topics.hasNext(); ) {
            Map.Entry<String, JsonNode> topic = topics.next();
            for (Iterator<Map.Entry<String, JsonNode>> partitions = topic.getValue().fields(); partitions.hasNext(); ) {
                Map.Entry<String, JsonNode> partition = partitions.next();
                long processed = end.path(topic.getKey()).path(partition.getKey()).asLong(0);
                long lag = Math.max(0, partition.getValue().asLong() - processed);
                samples.add(new MetricSample(metric, "Kafka offsets not yet processed by the query, per partition.",
                        Map.of("topic", topic.getKey(), "partition", partition.getKey()), lag));
            }
        }
        return samples;
    }

    private static JsonNode read(String json) {
        try {
            return JSON.readTree(json);
        } catch (IOException e) {
            throw new UncheckedIOException("not a Kafka source offset: " + json, e);
        }
    }
}
