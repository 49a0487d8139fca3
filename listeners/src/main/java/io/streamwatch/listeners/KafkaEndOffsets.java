package io.streamwatch.listeners;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.common.TopicPartition;

/**
 * The current end offsets of topic partitions, from the brokers (Admin {@code listOffsets}, latest), for a lag that
 * stays current while a batch runs or the query idles, with the client properties of {@code spark.streamwatch.kafka.*}.
 * Loaded only when {@code spark.streamwatch.kafka.bootstrapServers} is set and Kafka's client is on the classpath.
 */
final class KafkaEndOffsets implements AutoCloseable {
    private final Admin admin;

    KafkaEndOffsets(KafkaConnection kafka) {
        this.admin = Admin.create(kafka.clientConfig(kafka.bootstrapServers().orElseThrow(), Map.of(
                AdminClientConfig.CLIENT_ID_CONFIG, "streamwatch-lag",
                AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 10_000,
                AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 15_000)));
    }

    /** topic -> partition -> end offset, for the partitions asked. */
    Map<String, Map<Integer, Long>> latest(Map<String, Map<Integer, Long>> partitions) throws Exception {
        Map<TopicPartition, OffsetSpec> request = new HashMap<>();
        partitions.forEach((topic, byPartition) -> byPartition.keySet().forEach(p -> request.put(new TopicPartition(topic, p), OffsetSpec.latest())));
        Map<String, Map<Integer, Long>> latest = new HashMap<>();
        admin.listOffsets(request).all().get(15, TimeUnit.SECONDS).forEach((tp, info) ->
                latest.computeIfAbsent(tp.topic(), t -> new HashMap<>()).put(tp.partition(), info.offset()));
        return latest;
    }

    @Override
    public void close() {
        admin.close(Duration.ofSeconds(5));
    }
}
