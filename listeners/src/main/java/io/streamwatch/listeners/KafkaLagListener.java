package io.streamwatch.listeners;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import org.apache.spark.SparkConf;
import org.apache.spark.sql.streaming.SourceProgress;
import org.apache.spark.sql.streaming.StreamingQueryProgress;

/**
 * The Kafka backlog: for every Kafka source of a query, per partition, the newest offset in the topic
 * minus the offset the query has processed ({@code streamwatch_kafka_lag_records{topic, partition}}; with the
 * visits naming {@code visits_reader_lag}), 0 when caught up.
 * Both offsets come from the source's progress (its latest and end offsets); a graceful stop removes them.
 */
public class KafkaLagListener extends PushingListener {
    public static final String LAG = MetricNaming.VISITS.kafkaLag();
    private static final ObjectMapper JSON = new ObjectMapper();

    public KafkaLagListener(SparkConf conf) {
        this(StreamwatchSettings.from(conf));
    }

    public KafkaLagListener() {
        this(StreamwatchSettings.fromSparkEnv());
    }

    public KafkaLagListener(StreamwatchSettings settings) {
        super(settings, settings.naming().queryJob());
    }

    @Override
    public void onQueryProgress(QueryProgressEvent event) {
        guarded("onQueryProgress", () -> {
            StreamingQueryProgress progress = event.progress();
            String metric = naming().kafkaLag();
            publish(groupOf(progress), () -> lags(progress, metric));
        });
    }

    @Override
    public void onQueryTerminated(QueryTerminatedEvent event) {
        removeOnGracefulStop(event);
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
