package io.streamwatch.listeners;

import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.delta.DeltaLog;
import org.apache.spark.sql.delta.Snapshot;
import org.apache.spark.sql.delta.util.FileNames;
import scala.Option;

/**
 * Versions and commit times of a Delta table, without scanning its history (as DESCRIBE HISTORY does):
 * a writer takes the version its own commit installed ({@link #committed}, no I/O at all); a reader refreshes
 * the snapshot ({@link #newest}: the newest checkpoint plus the commit files after it, found by listing the log);
 * the time of a version comes from its commit file alone.
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

    /** The version this JVM's last commit (or refresh) installed: a writer's own commit, without any I/O. */
    public Commit committed() {
        Snapshot snapshot = deltaLog.unsafeVolatileSnapshot();
        return new Commit(snapshot.version(), snapshot.timestamp());
    }

    /** The newest committed version, refreshed from storage (commits by other processes included). */
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
