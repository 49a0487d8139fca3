package io.streamwatch.listeners;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** What the Kafka-lag and health listeners read from Spark's progress and termination events. */
class ProgressParsingTest {

    @Test
    void kafkaLagIsTheLatestOffsetMinusTheProcessedOnePerPartition() {
        List<MetricSample> lags = KafkaLagListener.lags("{\"visits\":{\"1\":40,\"0\":50}}", "{\"visits\":{\"1\":60,\"0\":50}}", KafkaLagListener.LAG);
        Map<String, Double> byPartition = lags.stream()
                .collect(Collectors.toMap(s -> s.labels().get("partition"), MetricSample::value));
        assertEquals(Map.of("0", 0.0, "1", 20.0), byPartition);
        assertEquals("visits", lags.get(0).labels().get("topic"));
        assertEquals(KafkaLagListener.LAG, lags.get(0).name());
    }

    @Test
    void aPartitionNotYetProcessedLagsByAllItsOffsets() {
        List<MetricSample> lags = KafkaLagListener.lags("{\"visits\":{\"0\":5}}", "{\"visits\":{\"0\":5,\"1\":9}}", KafkaLagListener.LAG);
        assertEquals(9.0, lags.stream().filter(s -> s.labels().get("partition").equals("1")).findFirst().orElseThrow().value());
    }

    @Test
    void theFailureLabelIsTheExceptionsSimpleClassName() {
        assertEquals("IllegalStateException", QueryHealthListener.exceptionClass(
                "java.lang.IllegalStateException: failure injected in micro-batch 2\n\tat io.streamwatch.Foo.call(Foo.java:1)"));
        assertEquals("StreamingQueryException", QueryHealthListener.exceptionClass(
                "org.apache.spark.sql.streaming.StreamingQueryException: [STREAM_FAILED] Query [id = 1] terminated"));
        assertEquals("unknown", QueryHealthListener.exceptionClass("something odd: with spaces in it and :"));
    }
}
