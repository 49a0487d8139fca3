package io.streamwatch.jobs.lag;

import io.streamwatch.jobs.PushgatewayAndSparkTest;
import io.streamwatch.jobs.common.SparkSessions;

import static io.streamwatch.listeners.ReaderVersionListener.READER_VERSION;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.streamwatch.listeners.DeltaSourceProgress;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.spark.sql.streaming.SourceProgress;
import org.apache.spark.sql.streaming.StreamingQueryListener;
import org.junit.jupiter.api.Test;

/** The trap of the original: while the initial snapshot is read, reservoirVersion is not a processed version. */
class SnapshotInSeveralBatchesTest extends PushgatewayAndSparkTest {

    /** Records, batch after batch, the processed version the reader-version listener derives and pushes. */
    static final class ProcessedVersions extends StreamingQueryListener {
        final List<Long> versions = new CopyOnWriteArrayList<>();
        final List<String> endOffsets = new CopyOnWriteArrayList<>();

        @Override
        public void onQueryProgress(QueryProgressEvent event) {
            for (SourceProgress source : event.progress().sources()) {
                endOffsets.add(source.endOffset());
                DeltaSourceProgress.of(source).ifPresent(delta -> versions.add(delta.processedVersion()));
            }
        }

        @Override
        public void onQueryStarted(QueryStartedEvent event) {
        }

        @Override
        public void onQueryIdle(QueryIdleEvent event) {
        }

        @Override
        public void onQueryTerminated(QueryTerminatedEvent event) {
        }
    }

    @Test
    void readerVersionNeverPassesTheWriterAndEndsEqualToIt() {
        createTable();
        write(3, "--files-per-commit", "3");
        double writerVersion = writerVersion();
        ProcessedVersions recorded = new ProcessedVersions();
        spark().streams().addListener(recorded);
        try {
            consume("--max-files-per-trigger", "1");
        } finally {
            spark().streams().removeListener(recorded);
        }
        SparkSessions.awaitListeners(spark(), java.time.Duration.ofSeconds(10));

        System.out.println("end offsets: " + recorded.endOffsets);
        assertTrue(recorded.versions.size() >= 9, "9 files, one per micro-batch: " + recorded.versions);
        for (int i = 0; i < recorded.versions.size(); i++) {
            assertTrue(recorded.versions.get(i) <= writerVersion, "batch " + i + " claims " + recorded.versions);
            if (i > 0) {
                assertTrue(recorded.versions.get(i) >= recorded.versions.get(i - 1), "never goes back: " + recorded.versions);
            }
        }
        assertEquals(-1L, (long) recorded.versions.get(0), "1 of 9 files of the snapshot read: no version is complete");
        assertEquals((long) writerVersion, (long) recorded.versions.get(recorded.versions.size() - 1));
        assertEquals(writerVersion, readerValue(READER_VERSION));
    }
}
