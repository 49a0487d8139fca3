package io.streamwatch.listeners;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.spark.SparkConf;
import org.apache.spark.SparkEnv;
import org.apache.spark.sql.streaming.StreamingQueryListener;
import org.apache.spark.sql.streaming.StreamingQueryProgress;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Commits each query's processed Kafka offsets to a consumer group, which Spark never does, so that
 * {@code kafka-consumer-groups}, Burrow and kafka-lag-exporter see Spark consumers. Offsets are taken from each
 * Kafka source's end offset in the progress, by topic and partition as the offsets name them (several sources of
 * one query each land on their own topics; a topic read by two sources commits the lower offset). Commits go
 * through the Admin API ({@code alterConsumerGroupOffsets}; the group has no members) on a thread of the
 * listener's own, newest offsets only: a slow or absent broker never holds a callback. Only the partitions whose
 * offset moved since the last successful commit are sent (a query on 500 partitions, 10 of them busy, sends 10).
 * It pushes nothing.
 *
 * <p>Settings: {@code spark.streamwatch.kafka.commitGroup} (the group; {@code {query}} is replaced by the query's
 * name) and {@code spark.streamwatch.kafka.bootstrapServers}, with the client properties of
 * {@code spark.streamwatch.kafka.*} (SASL, TLS); without both it commits nothing. Spark's Kafka connector brings the
 * Kafka client; without it the listener warns once and commits nothing.
 */
public class KafkaOffsetCommitListener extends StreamingQueryListener {
    public static final String GROUP = StreamwatchSettings.KAFKA_COMMIT_GROUP;
    public static final String BOOTSTRAP_SERVERS = StreamwatchSettings.KAFKA_BOOTSTRAP_SERVERS;
    private static final Logger LOG = LoggerFactory.getLogger(KafkaOffsetCommitListener.class);
    private static final AtomicBoolean WARNED_NO_CLIENT = new AtomicBoolean();

    private final String groupTemplate;
    private final String bootstrapServers;
    private final KafkaConnection kafka;
    /** Per query, its newest batch not yet committed (parsed on the committer thread, not on Spark's listener thread). */
    private final Map<UUID, AtomicReference<StreamingQueryProgress>> waiting = new ConcurrentHashMap<>();
    private final Set<String> warned = ConcurrentHashMap.newKeySet();
    /** Per query, what its group was last told (only the committer thread reads and writes it). */
    private final Map<UUID, Map<TopicPartition, OffsetAndMetadata>> committed = new HashMap<>();
    private final ExecutorService committer = Executors.newSingleThreadExecutor(runnable -> {
        Thread thread = new Thread(runnable, "streamwatch-kafka-offset-committer");
        thread.setDaemon(true);
        return thread;
    });
    private volatile Admin admin;

    public KafkaOffsetCommitListener(SparkConf conf) {
        this(conf.get(GROUP, ""), KafkaConnection.from(conf));
    }

    public KafkaOffsetCommitListener() {
        this(SparkEnv.get() == null ? new SparkConf(false) : SparkEnv.get().conf());
    }

    public KafkaOffsetCommitListener(String groupTemplate, String bootstrapServers) {
        this(groupTemplate, bootstrapServers == null || bootstrapServers.isBlank() ? KafkaConnection.NONE : KafkaConnection.of(bootstrapServers.strip()));
    }

    /** Commits to {@code groupTemplate} on the brokers of {@code kafka}, with its client properties. */
    public KafkaOffsetCommitListener(String groupTemplate, KafkaConnection kafka) {
        String group = groupTemplate == null ? "" : groupTemplate.strip();
        this.kafka = kafka;
        if (group.isEmpty() || kafka.bootstrapServers().isEmpty()) {
            LOG.warn("KafkaOffsetCommitListener: {} and {} must both be set; no offsets are committed", GROUP, BOOTSTRAP_SERVERS);
            group = "";
        } else if (!KafkaConnection.clientAvailable()) {
            if (WARNED_NO_CLIENT.compareAndSet(false, true)) {
                LOG.warn("KafkaOffsetCommitListener: Kafka's client is not on the classpath; no offsets are committed");
            }
            group = "";
        }
        this.groupTemplate = group;
        this.bootstrapServers = kafka.bootstrapServers().orElse("");
    }

    @Override
    public void onQueryStarted(QueryStartedEvent event) {
    }

    @Override
    public void onQueryProgress(QueryProgressEvent event) {
        guarded(() -> {
            if (groupTemplate.isEmpty() || bootstrapServers.isEmpty()) {
                return;
            }
            StreamingQueryProgress progress = event.progress();
            if (!KafkaLagListener.hasKafkaSource(progress)) {
                return;
            }
            String group = groupTemplate.replace("{query}", progress.name() == null ? progress.id().toString() : progress.name());
            AtomicReference<StreamingQueryProgress> slot = waiting.computeIfAbsent(progress.id(), id -> new AtomicReference<>());
            if (slot.getAndSet(progress) == null) {
                committer.execute(() -> commit(progress.id(), group, slot));
            }
        });
    }

    /** Every Kafka source's end offsets by topic and partition; a partition two sources read keeps the lower offset. */
    static Map<TopicPartition, OffsetAndMetadata> processedOffsets(StreamingQueryProgress progress) {
        Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>();
        KafkaLagListener.processedOffsets(progress).forEach((topic, partitions) -> partitions.forEach((partition, offset) ->
                offsets.put(new TopicPartition(topic, partition), new OffsetAndMetadata(offset))));
        return offsets;
    }

    /** Commits the partitions whose offset moved since the group was last told (all of them the first time and after a failure). */
    private void commit(UUID queryId, String group, AtomicReference<StreamingQueryProgress> slot) {
        StreamingQueryProgress progress = slot.getAndSet(null);
        if (progress == null) {
            return;
        }
        Map<TopicPartition, OffsetAndMetadata> offsets = processedOffsets(progress);
        Map<TopicPartition, OffsetAndMetadata> told = committed.computeIfAbsent(queryId, id -> new HashMap<>());
        Map<TopicPartition, OffsetAndMetadata> moved = new HashMap<>();
        offsets.forEach((partition, offset) -> {
            if (!offset.equals(told.get(partition))) {
                moved.put(partition, offset);
            }
        });
        if (moved.isEmpty()) {
            return;
        }
        try {
            admin().alterConsumerGroupOffsets(group, moved).all().get(20, TimeUnit.SECONDS);
            told.putAll(moved);
            warned.remove("commit");
        } catch (Exception e) {
            committed.remove(queryId);
            if (e instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
            if (warned.add("commit")) {
                LOG.warn("cannot commit the processed offsets to consumer group {} at {} ({}); trying again at the next batch "
                        + "(check the spark.streamwatch.kafka.* client properties)", group, kafka, KafkaConnection.describe(e));
            }
        }
    }

    private Admin admin() {
        if (admin == null) {
            admin = Admin.create(kafka.clientConfig(bootstrapServers, Map.of(
                    AdminClientConfig.CLIENT_ID_CONFIG, "streamwatch-offset-committer",
                    AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 10_000,
                    AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 15_000)));
        }
        return admin;
    }

    @Override
    public void onQueryTerminated(QueryTerminatedEvent event) {
        guarded(() -> {
            waiting.remove(event.id());
            committer.execute(() -> {
                committed.remove(event.id());
                closeWhenIdle();
            });
        });
    }

    /** On the committer, after the last commits: without running queries, no client is kept (nor its reconnects). */
    private void closeWhenIdle() {
        if (waiting.isEmpty() && admin != null) {
            admin.close(Duration.ofSeconds(5));
            admin = null;
        }
    }

    /** A callback's body: what it throws is logged once and never reaches Spark. */
    private void guarded(Runnable body) {
        try {
            body.run();
        } catch (Throwable t) {
            if (warned.add("callback " + t.getClass().getName())) {
                LOG.warn("KafkaOffsetCommitListener failed; the query goes on without committed offsets", t);
            }
        }
    }
}
