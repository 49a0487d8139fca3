package io.streamwatch.listeners;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Delta logs as long-lived tables leave them: cleaned up past retention, or never checkpointed. */
class DeltaCommitsBoundsTest {
    @TempDir
    Path table;

    private void commits(long from, long to) throws IOException {
        Path log = Files.createDirectories(table.resolve("_delta_log"));
        for (long version = from; version <= to; version++) {
            Files.writeString(log.resolve(String.format("%020d.json", version)), "{}");
        }
    }

    private DeltaCommits commits() {
        return DeltaCommits.at("file:" + table, new Configuration());
    }

    @Test
    void aTablePastLogRetentionHasNoFirstCommitButANewestOne() throws IOException {
        commits(20, 25);
        Files.writeString(table.resolve("_delta_log/_last_checkpoint"), "{\"version\":20,\"size\":3}");
        assertEquals(25, commits().newest().version());

        Files.delete(table.resolve("_delta_log/00000000000000000020.json"));
        assertEquals(25, commits().newest().version(), "the checkpoint's own commit file gone too");
    }

    @Test
    void aWriterThatNeverCheckpointsCostsBoundedProbesThenOneListing() throws IOException {
        commits(0, 3 * DeltaCommits.MAX_PROBES);
        DeltaCommits commits = commits();
        assertEquals(3 * DeltaCommits.MAX_PROBES, commits.newest().version());

        commits(3 * DeltaCommits.MAX_PROBES + 1, 3 * DeltaCommits.MAX_PROBES + 5);
        assertEquals(3 * DeltaCommits.MAX_PROBES + 5, commits.newest().version(), "the next lookup starts where the last ended");
    }
}
