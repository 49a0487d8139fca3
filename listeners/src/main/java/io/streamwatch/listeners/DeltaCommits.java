package io.streamwatch.listeners;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * Versions and commit times of a Delta table, read from its {@code _delta_log} with the Hadoop FileSystem
 * alone: no Spark job, no SparkContext needed (so it still works while Spark is stopping and delivers its
 * last events), and no scan of the history. The newest version is found from {@code _last_checkpoint}
 * upwards, one commit file at a time (Delta checkpoints every 10 commits by default), the time of a version
 * is its commit file's modification time (Delta's commit timestamp unless in-commit timestamps are enabled).
 */
public final class DeltaCommits {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** A table version and the time it was committed. */
    public record Commit(long version, long timestampMillis) {
    }

    private final Path logPath;
    private final FileSystem fs;

    private DeltaCommits(Path tablePath, Configuration hadoopConf) {
        try {
            this.fs = tablePath.getFileSystem(hadoopConf);
        } catch (IOException e) {
            throw new UncheckedIOException("no file system for " + tablePath, e);
        }
        this.logPath = new Path(tablePath, "_delta_log");
    }

    /** The table at {@code location}, a qualified path as Delta names it (e.g. {@code file:/data/visits}). */
    public static DeltaCommits at(String location, Configuration hadoopConf) {
        return new DeltaCommits(new Path(location), hadoopConf);
    }

    /** The newest committed version and its time. */
    public Commit newest() {
        long version = lastCheckpointVersion();
        FileStatus newest = commitFile(version);
        if (newest == null && version > 0) {
            throw new IllegalStateException("no commit file for checkpoint version " + version + " in " + logPath);
        }
        if (newest == null) {
            throw new IllegalStateException("no Delta table at " + logPath.getParent() + " (no commit 0)");
        }
        for (FileStatus next = commitFile(version + 1); next != null; next = commitFile(version + 1)) {
            newest = next;
            version++;
        }
        return new Commit(version, newest.getModificationTime());
    }

    /** The commit time of {@code version}. */
    public long commitTimeMillis(long version) {
        FileStatus status = commitFile(version);
        if (status == null) {
            throw new IllegalStateException("no commit file for version " + version + " in " + logPath);
        }
        return status.getModificationTime();
    }

    private long lastCheckpointVersion() {
        try (InputStream in = fs.open(new Path(logPath, "_last_checkpoint"))) {
            return JSON.readTree(in).path("version").asLong(0);
        } catch (FileNotFoundException e) {
            return 0;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + logPath + "/_last_checkpoint", e);
        }
    }

    private FileStatus commitFile(long version) {
        try {
            return fs.getFileStatus(new Path(logPath, String.format("%020d.json", version)));
        } catch (FileNotFoundException e) {
            return null;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + logPath, e);
        }
    }
}
