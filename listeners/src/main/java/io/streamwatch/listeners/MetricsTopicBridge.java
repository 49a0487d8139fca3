package io.streamwatch.listeners;

import java.time.Duration;
import java.util.Collection;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.TreeMap;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sends every value streamwatch pushes to a Kafka metrics topic as well, as metric records ({@code key} = the
 * series, {@code value} = {@code {"value": X}}), so that threshold rules of the rules API can watch a consumer's
 * lag or a batch's duration. The key is the metric name and its labels, sorted, without {@code query_id} (new for
 * every checkpoint): {@code streamwatch_query_last_batch_duration_seconds{job=streamwatch,query=alarms}}.
 *
 * <p>Sends on a thread of its own with a bounded queue (the oldest snapshots are dropped when Kafka is slow),
 * so neither a listener callback nor the Pushgateway sender ever waits for Kafka; without Kafka's client on the
 * classpath it warns once and sends nothing.
 */
public final class MetricsTopicBridge implements BiConsumer<PushGroup, Collection<MetricSample>>, AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(MetricsTopicBridge.class);
    private static final Map<StreamwatchSettings.MetricsTopic, MetricsTopicBridge> SHARED = new ConcurrentHashMap<>();
    private static final int QUEUE = 1000;

    private final StreamwatchSettings.MetricsTopic target;
    private final ThreadPoolExecutor sender;
    private volatile Object producer;
    private volatile boolean disabled;
    private volatile boolean warned;

    private MetricsTopicBridge(StreamwatchSettings.MetricsTopic target) {
        this.target = target;
        this.sender = new ThreadPoolExecutor(1, 1, 0, TimeUnit.SECONDS, new ArrayBlockingQueue<>(QUEUE), runnable -> {
            Thread thread = new Thread(runnable, "streamwatch-metrics-topic");
            thread.setDaemon(true);
            return thread;
        }, new ThreadPoolExecutor.DiscardOldestPolicy());
    }

    /** One bridge (one producer) per topic and JVM. */
    public static MetricsTopicBridge shared(StreamwatchSettings.MetricsTopic target) {
        return SHARED.computeIfAbsent(target, MetricsTopicBridge::new);
    }

    /** The record key of a sample: {@code name{label=value,...}}, labels sorted, {@code query_id} left out. */
    public static String seriesName(PushGroup group, MetricSample sample) {
        Map<String, String> labels = new TreeMap<>(group.labels());
        labels.put("job", group.job());
        labels.putAll(sample.labels());
        labels.remove("query_id");
        StringBuilder name = new StringBuilder(sample.name()).append('{');
        labels.forEach((label, value) -> name.append(name.charAt(name.length() - 1) == '{' ? "" : ",").append(label).append('=').append(value));
        return name.append('}').toString();
    }

    @Override
    public void accept(PushGroup group, Collection<MetricSample> samples) {
        if (disabled) {
            return;
        }
        sender.execute(() -> send(group, samples));
    }

    private void send(PushGroup group, Collection<MetricSample> samples) {
        try {
            @SuppressWarnings("unchecked")
            KafkaProducer<String, String> kafka =
                    (KafkaProducer<String, String>) producer();
            for (MetricSample sample : samples) {
                if (Double.isFinite(sample.value())) {
                    String value = "{\"value\": " + (sample.value() == Math.rint(sample.value()) && Math.abs(sample.value()) < 1e15
                            ? String.valueOf((long) sample.value()) : String.valueOf(sample.value())) + "}";
                    kafka.send(new ProducerRecord<>(target.topic(), seriesName(group, sample), value), (metadata, e) -> {
                        if (e != null) {
                            warnOnce("cannot send to " + target.topic() + " at " + target.bootstrapServers() + ": " + e.getMessage());
                        }
                    });
                }
            }
        } catch (NoClassDefFoundError e) {
            disabled = true;
            LOG.warn("{} is set but Kafka's client is not on the classpath; nothing is sent to a metrics topic",
                    StreamwatchSettings.METRICS_TOPIC_SERVERS);
        } catch (RuntimeException e) {
            warnOnce("cannot send to " + target.topic() + " at " + target.bootstrapServers() + ": " + e);
        }
    }

    private Object producer() {
        if (producer == null) {
            Properties props = new KafkaConnection(Optional.of(target.bootstrapServers()), target.clientProperties())
                    .clientConfig(target.bootstrapServers(), Map.of("acks", "1", "linger.ms", "50", "max.block.ms", "5000",
                            "reconnect.backoff.max.ms", "10000", "client.id", "streamwatch-metrics-topic"));
            props.put("key.serializer", "org.apache.kafka.common.serialization.StringSerializer");
            props.put("value.serializer", "org.apache.kafka.common.serialization.StringSerializer");
            producer = new KafkaProducer<String, String>(props);
        }
        return producer;
    }

    private void warnOnce(String message) {
        if (!warned) {
            warned = true;
            LOG.warn("metrics topic bridge: {} (warned once)", message);
        }
    }

    /** Stops sending (what is queued is dropped) and closes the producer; {@link #shared} then makes a new bridge. */
    @Override
    public void close() {
        SHARED.remove(target, this);
        disabled = true;
        sender.shutdownNow();
        Object open = producer;
        if (open != null) {
            ((KafkaProducer<?, ?>) open).close(Duration.ofSeconds(1));
        }
    }
}
