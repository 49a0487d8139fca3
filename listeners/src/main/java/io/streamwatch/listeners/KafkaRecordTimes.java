package io.streamwatch.listeners;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * The timestamps Kafka keeps for records at given offsets (the producer's {@code CreateTime}, or the broker's
 * {@code LogAppendTime} where the topic says so): the age of the oldest record a query has not processed, for the lag
 * in seconds. One consumer without a group (it commits nothing), with the client properties of
 * {@code spark.streamwatch.kafka.*}; each partition asked costs one small fetch. Where the record at an offset is gone
 * (retention, compaction, a transaction marker) the next one the partition holds stands for it. Loaded only when
 * {@code spark.streamwatch.kafka.bootstrapServers} is set and Kafka's client is on the classpath.
 */
final class KafkaRecordTimes implements AutoCloseable {
    private static final Duration FETCH_TIMEOUT = Duration.ofSeconds(10);
    private final KafkaConsumer<byte[], byte[]> consumer;

    KafkaRecordTimes(KafkaConnection kafka) {
        Properties config = kafka.clientConfig(kafka.bootstrapServers().orElseThrow(), Map.of(
                ConsumerConfig.CLIENT_ID_CONFIG, "streamwatch-lag-seconds",
                ConsumerConfig.REQUEST_TIMEOUT_MS_CONFIG, 10_000,
                ConsumerConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 15_000));
        config.remove(ConsumerConfig.GROUP_ID_CONFIG);
        config.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        config.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        config.put(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, 64 * 1024);
        config.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
        config.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
        this.consumer = new KafkaConsumer<>(config);
    }

    /**
     * The timestamp (epoch millis) of the record at each offset asked (topic -> partition -> offset), or of the next
     * one held, in the same shape; partitions that give no record within the fetch timeout are left out.
     */
    Map<String, Map<Integer, Long>> timestamps(Map<String, Map<Integer, Long>> offsets) {
        Map<TopicPartition, Long> asked = new HashMap<>();
        offsets.forEach((topic, byPartition) -> byPartition.forEach((partition, offset) -> asked.put(new TopicPartition(topic, partition), offset)));
        Map<String, Map<Integer, Long>> found = new HashMap<>();
        if (asked.isEmpty()) {
            return found;
        }
        consumer.assign(asked.keySet());
        asked.forEach(consumer::seek);
        int left = asked.size();
        long deadline = System.nanoTime() + FETCH_TIMEOUT.toNanos();
        while (left > 0 && System.nanoTime() < deadline) {
            ConsumerRecords<byte[], byte[]> records = consumer.poll(Duration.ofMillis(200));
            for (TopicPartition partition : records.partitions()) {
                Map<Integer, Long> ofTopic = found.computeIfAbsent(partition.topic(), t -> new HashMap<>());
                if (ofTopic.putIfAbsent(partition.partition(), records.records(partition).get(0).timestamp()) == null) {
                    consumer.pause(List.of(partition));
                    left--;
                }
            }
        }
        consumer.unsubscribe();
        return found;
    }

    @Override
    public void close() {
        consumer.close(Duration.ofSeconds(5));
    }
}
