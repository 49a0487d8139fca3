package io.streamwatch.jobs.sla;

import io.streamwatch.jobs.KafkaPushgatewayAndSparkTest;
import io.streamwatch.jobs.common.Jobs;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.streamwatch.testkit.ChildJvm;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Exactly once per Kafka record across checkpoint resets on the same topic, concurrent synchronizers on one topic
 * and table, and kills: every valid visit in the table once, every malformed record in the quarantine once. Synchronizers run as real JVMs where the
 * behaviour is about processes.
 */
class ExactlyOnceTest extends KafkaPushgatewayAndSparkTest {

    @Test
    void aNewCheckpointOnTheSameTopicWritesEveryRecordOnceAndNothingAgain() {
        generate(300, 0.05);
        assertEquals(0, syncInto("checkpoint-a", "--available-now", "--starting-offsets", "latest"));
        assertEquals(0, rowsOrZero(), "started at the end of the topic");
        generate(300, 0.05);
        assertEquals(0, syncInto("checkpoint-a", "--available-now", "--max-offsets-per-trigger", "100"));
        assertEquals(285, rows(tablePath()), "the records after the start");

        assertEquals(0, syncInto("checkpoint-b", "--available-now", "--max-offsets-per-trigger", "250"));
        assertEquals(570, rows(tablePath()), "a new checkpoint from earliest adds the records before the first one's start, only those");
        assertEquals(570, distinctVisits());
        assertEquals(30, rows(quarantinePath()));
        assertEquals(30, distinctQuarantined());

        long version = tableVersion();
        assertEquals(0, syncInto("checkpoint-c", "--available-now"));
        assertEquals(version, tableVersion(), "a third checkpoint on the same topic commits nothing");
        assertEquals(570, rows(tablePath()));
    }

    @Test
    void twoSynchronizersOnOneTopicFillOneTableConcurrentlyEachRecordOnce() {
        generate(1600, 0.05);

        try (ChildJvm a = synchronizer("a", topic, "--available-now", "--max-offsets-per-trigger", "400");
             ChildJvm b = synchronizer("b", topic, "--available-now", "--max-offsets-per-trigger", "400")) {
            assertEquals(0, a.awaitExit(Duration.ofMinutes(3)), () -> a.logTail(40));
            assertEquals(0, b.awaitExit(Duration.ofMinutes(3)), () -> b.logTail(40));
        }

        assertEquals(1520, rows(tablePath()));
        assertEquals(1520, distinctVisits());
        assertEquals(80, rows(quarantinePath()));
        assertEquals(80, distinctQuarantined());
    }

    @Tag("slow")
    @Test
    void aSynchronizerKilledMidStreamSeveralTimesWritesEveryVisitOnce() {
        generate(1500, 0.04);
        long written = 0;
        for (int kill = 1; kill <= 3; kill++) {
            try (ChildJvm sync = synchronizer("kill-" + kill, topic, "--trigger-interval", "200ms",
                    "--max-offsets-per-trigger", "100", "--batch-delay", "300ms")) {
                long before = written;
                written = await().atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofMillis(100))
                        .until(this::rowsOrZero, rows -> rows > before);
                sync.kill();
            }
        }
        assertTrue(written < 1440, "killed before the end: " + written);

        assertEquals(0, Jobs.execute(new SyncVisitsToDelta(), argsFor(topic, Path.of(checkpoint()), "--available-now",
                "--max-offsets-per-trigger", "500")));

        assertEquals(1440, rows(tablePath()));
        assertEquals(1440, distinctVisits());
        assertEquals(60, rows(quarantinePath()));
        assertEquals(60, distinctQuarantined());
    }

    private ChildJvm synchronizer(String name, String topicName, String... more) {
        String checkpoint = name.startsWith("kill") ? checkpoint() : dir.resolve("checkpoint-" + name).toString();
        return ChildJvm.start(SyncVisitsToDelta.class, Map.of("spark.master", "local[2]"), dir.resolve(name + ".log"),
                argsFor(topicName, Path.of(checkpoint), more));
    }

    private String[] argsFor(String topicName, Path checkpoint, String... more) {
        return concat(new String[] {"--bootstrap-servers", kafka.bootstrapServers(), "--topic", topicName,
            "--path", tablePath(), "--checkpoint", checkpoint.toString(), "--pushgateway", pushgateway.address(),
            "--push-timeout", "2s"}, more);
    }


    private int syncInto(String checkpoint, String... more) {
        return Jobs.execute(new SyncVisitsToDelta(), argsFor(topic, dir.resolve(checkpoint), more));
    }

    private long tableVersion() {
        return io.delta.tables.DeltaTable.forPath(spark(), tablePath()).history(1).first().getLong(0);
    }

    private long distinctQuarantined() {
        return spark().read().format("delta").load(quarantinePath()).select("topic", "partition", "offset").distinct().count();
    }

    private long distinctVisits() {
        Dataset<Row> visits = spark().read().format("delta").load(tablePath());
        return visits.select("visit_id").distinct().count();
    }
}
