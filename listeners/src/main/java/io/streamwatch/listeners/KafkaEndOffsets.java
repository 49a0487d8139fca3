package io.streamwatch.listeners;

import java.util.HashMap;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.common.TopicPartition;

/**
 * The current end offsets of topic partitions, from the brokers (Admin {@code listOffsets}, latest), for a lag that
 * stays current while a batch runs or the query idles. Loaded only when {@code spark.streamwatch.kafka.bootstrapServers}
 * is set, so a job without Kafka needs no Kafka client.
 */
final class KafkaEndOffsets implements AutoCloseable {
    private final Admin admin;

    KafkaEndOffsets(String bootstrapServers) {
        Properties properties = new Properties();
        properties.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        properties.put(AdminClientConfig.CLIENT_ID_CONFIG, "streamwatch-lag");
        properties.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 10_000);
        properties.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 15_000);
        this.admin = Admin.create(properties);
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
        admin.close(java.time.Duration.ofSeconds(5));
    }
}
