package io.streamwatch.listeners;

import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.delta.DeltaLog;
import org.apache.spark.sql.delta.Snapshot;
import org.apache.spark.sql.delta.util.FileNames;
import scala.Option;

/**
 * Versions and commit times of a Delta table, looked up in time that does not grow with the table's history:
 * the newest version comes from the log's newest checkpoint plus the commits after it (not from DESCRIBE
 * HISTORY), the time of a version from its commit file alone.
 */
public final class DeltaCommits {
    /** A table version and the time it was committed. */
    public record Commit(long version, long timestampMillis) {
    }

    private final DeltaLog deltaLog;

    private DeltaCommits(DeltaLog deltaLog) {
        this.deltaLog = deltaLog;
    }

    /** The table at {@code location} (a path or URI); DeltaLog instances are cached per JVM by Delta itself. */
    public static DeltaCommits at(SparkSession spark, String location) {
        return new DeltaCommits(DeltaLog.forTable(spark, location));
    }

    public static DeltaCommits of(DeltaLog deltaLog) {
        return new DeltaCommits(deltaLog);
    }

    /** The table's qualified location, the {@code table} label of every metric about it. */
    public String location() {
        return deltaLog.dataPath().toString();
    }

    public boolean exists() {
        return deltaLog.tableExists();
    }

    /** The newest committed version, refreshed from storage. */
    public Commit newest() {
        Snapshot snapshot = deltaLog.update(false, Option.empty(), Option.empty());
        return new Commit(snapshot.version(), snapshot.timestamp());
    }

    /** The commit time of {@code version}, from its commit file (as Delta defines it without in-commit timestamps). */
    public long commitTimeMillis(long version) {
        Path commitFile = FileNames.unsafeDeltaFile(deltaLog.logPath(), version);
        try {
            FileSystem fs = commitFile.getFileSystem(deltaLog.newDeltaHadoopConf());
            return fs.getFileStatus(commitFile).getModificationTime();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException("no commit file for version " + version + " of " + location(), e);
        }
    }
}
