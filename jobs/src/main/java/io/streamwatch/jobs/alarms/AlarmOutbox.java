package io.streamwatch.jobs.alarms;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.streamwatch.jobs.common.CheckpointFile;
import io.streamwatch.jobs.common.KafkaRecordsOnce;
import io.streamwatch.rules.Alarm;
import io.streamwatch.rules.Operator;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The alarms of each micro-batch that raised some, written durably in the checkpoint ({@code streamwatch-outbox/})
 * before the batch ends and before any of them is delivered: what delivery sends and what the alarms table records
 * are both read from here, so they always agree, also after a crash. A batch's file goes once the table holds its
 * alarms and every one of them was delivered (or given up for a stated reason); what is left at a start is what a
 * crash or a stop left to do.
 */
final class AlarmOutbox {
    static final String FOLDER = "streamwatch-outbox";
    private static final Logger LOG = LoggerFactory.getLogger(AlarmOutbox.class);

    /**
     * One batch's alarms (in delivery order), the Kafka records it read, per topic-partition, and the records it
     * quarantined where the engine keeps them for the recorder (the consumer engine; the micro-batch engine appends its
     * quarantine within the batch).
     */
    record Batch(String queryId, long batchId, List<KafkaRecordsOnce.Range> ranges, List<Alarm> alarms, List<Quarantined> quarantined) {
        Batch(String queryId, long batchId, List<KafkaRecordsOnce.Range> ranges, List<Alarm> alarms) {
            this(queryId, batchId, ranges, alarms, List.of());
        }
    }

    /** A record that is not a metric, with its Kafka coordinates and the reason, as {@code KafkaQuarantine} keeps it. */
    record Quarantined(String key, String value, String topic, int partition, long offset, long timestampMillis, String reason) {
    }

    private final String checkpoint;
    private final Configuration hadoop;
    private final Set<Long> recorded = ConcurrentHashMap.newKeySet();
    private final Set<Long> delivered = ConcurrentHashMap.newKeySet();

    AlarmOutbox(String checkpoint, Configuration hadoop) {
        this.checkpoint = checkpoint;
        this.hadoop = hadoop;
    }

    /** Writes the batch durably; throws when it cannot (the batch fails and is re-run, nothing delivered yet). */
    void write(Batch batch) {
        ObjectNode json = CheckpointFile.JSON.createObjectNode().put("query_id", batch.queryId()).put("batch_id", batch.batchId());
        ArrayNode ranges = json.putArray("ranges");
        batch.ranges().forEach(range -> ranges.addObject().put("topic", range.topic()).put("partition", range.partition())
                .put("first", range.first()).put("last", range.last()));
        ArrayNode alarms = json.putArray("alarms");
        for (Alarm alarm : batch.alarms()) {
            alarms.addObject().put("rule_id", alarm.ruleId()).put("metric_name", alarm.metricName()).put("value", alarm.value())
                    .put("threshold", alarm.threshold()).put("operator", alarm.operator().symbol()).put("state", alarm.state().label())
                    .put("metric_timestamp", alarm.metricTimestampMillis()).put("topic", alarm.topic())
                    .put("partition", alarm.partition()).put("offset", alarm.offset());
        }
        if (!batch.quarantined().isEmpty()) {
            ArrayNode quarantined = json.putArray("quarantined");
            for (Quarantined record : batch.quarantined()) {
                quarantined.addObject().put("key", record.key()).put("value", record.value()).put("topic", record.topic())
                        .put("partition", record.partition()).put("offset", record.offset()).put("timestamp", record.timestampMillis())
                        .put("reason", record.reason());
            }
        }
        file(batch.batchId()).save(json);
    }

    /** The batch's alarms if the outbox still holds them. */
    Optional<Batch> read(long batchId) {
        try {
            return file(batchId).load().map(AlarmOutbox::batchOf);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file(batchId).path(), e);
        }
    }

    /** Every batch the outbox holds, in batch order (a file that cannot be read is said and left where it is). */
    List<Batch> pending() {
        List<Long> batchIds = new ArrayList<>();
        try {
            Path folder = new Path(checkpoint, FOLDER);
            FileSystem fs = folder.getFileSystem(hadoop);
            if (!fs.exists(folder)) {
                return List.of();
            }
            for (FileStatus status : fs.listStatus(folder)) {
                String name = status.getPath().getName();
                if (name.matches("\\d+\\.json")) {
                    batchIds.add(Long.parseLong(name.substring(0, name.length() - ".json".length())));
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list the alarm outbox in " + checkpoint, e);
        }
        batchIds.sort(null);
        List<Batch> batches = new ArrayList<>();
        for (long batchId : batchIds) {
            try {
                read(batchId).ifPresent(batches::add);
            } catch (RuntimeException e) {
                LOG.warn("cannot read the alarms of batch {} in the outbox ({}); left there", batchId, e.getClass().getSimpleName());
            }
        }
        return batches;
    }

    /** The alarms table holds the batch's alarms. */
    void recorded(long batchId) {
        recorded.add(batchId);
        removeIfDone(batchId);
    }

    /** Every alarm of the batch was delivered or given up. */
    void delivered(long batchId) {
        delivered.add(batchId);
        removeIfDone(batchId);
    }

    private void removeIfDone(long batchId) {
        if (recorded.contains(batchId) && delivered.contains(batchId)) {
            Path path = file(batchId).path();
            try {
                path.getFileSystem(hadoop).delete(path, false);
                recorded.remove(batchId);
                delivered.remove(batchId);
            } catch (IOException e) {
                LOG.warn("cannot remove {} from the alarm outbox ({}); a restart finds it done", path.getName(), e.getClass().getSimpleName());
            }
        }
    }

    private CheckpointFile file(long batchId) {
        return new CheckpointFile(checkpoint, FOLDER + "/" + batchId + ".json", hadoop);
    }

    private static Batch batchOf(JsonNode json) {
        List<KafkaRecordsOnce.Range> ranges = new ArrayList<>();
        json.path("ranges").forEach(range -> ranges.add(new KafkaRecordsOnce.Range(range.get("topic").asText(), range.get("partition").asInt(),
                range.get("first").asLong(), range.get("last").asLong())));
        List<Alarm> alarms = new ArrayList<>();
        json.path("alarms").forEach(alarm -> alarms.add(new Alarm(alarm.get("rule_id").asText(), alarm.get("metric_name").asText(),
                alarm.get("value").asDouble(), alarm.get("threshold").asDouble(), Operator.of(alarm.get("operator").asText()).orElseThrow(),
                Alarm.State.of(alarm.get("state").asText()), alarm.get("metric_timestamp").asLong(), alarm.get("topic").asText(),
                alarm.get("partition").asInt(), alarm.get("offset").asLong())));
        List<Quarantined> quarantined = new ArrayList<>();
        json.path("quarantined").forEach(record -> quarantined.add(new Quarantined(textOrNull(record.get("key")), textOrNull(record.get("value")),
                record.get("topic").asText(), record.get("partition").asInt(), record.get("offset").asLong(), record.get("timestamp").asLong(),
                record.get("reason").asText())));
        return new Batch(json.get("query_id").asText(), json.get("batch_id").asLong(), List.copyOf(ranges), List.copyOf(alarms),
                List.copyOf(quarantined));
    }

    private static String textOrNull(JsonNode node) {
        return node == null || node.isNull() ? null : node.asText();
    }
}
