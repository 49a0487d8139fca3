package io.streamwatch.jobs.lag;

import io.streamwatch.jobs.PushgatewayAndSparkTest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.streamwatch.listeners.DeltaCommits;
import java.nio.file.Files;
import org.junit.jupiter.api.Test;

/** The reader listener's view of a table's log, past Delta's checkpoint (every 10 commits). */
class DeltaCommitsTest extends PushgatewayAndSparkTest {

    @Test
    void theNewestVersionIsFoundPastTheLastCheckpointAndCommitTimesFollowTheLog() {
        createTable();
        for (int i = 0; i < 12; i++) {
            spark().sql("INSERT INTO delta.`" + tablePath() + "` VALUES ('v" + i + "', current_timestamp(), 'u', 'index.html')");
        }
        assertTrue(Files.exists(dir.resolve("visits/_delta_log/_last_checkpoint")), "Delta checkpointed at version 10");

        DeltaCommits commits = DeltaCommits.at(tableLabel(), spark().sparkContext().hadoopConfiguration());
        DeltaCommits.Commit newest = commits.newest();

        assertEquals(12, newest.version());
        assertEquals(commits.commitTimeMillis(12), newest.timestampMillis());
        assertTrue(commits.commitTimeMillis(3) <= commits.commitTimeMillis(12));
        assertThrows(IllegalStateException.class, () -> commits.commitTimeMillis(13));
        assertThrows(IllegalStateException.class,
                () -> DeltaCommits.at(dir.resolve("nothing").toUri().toString(), spark().sparkContext().hadoopConfiguration()).newest());
    }
}
