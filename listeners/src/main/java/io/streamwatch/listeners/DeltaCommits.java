package io.streamwatch.listeners;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * Versions and commit times of a Delta table, read from its {@code _delta_log} with the Hadoop FileSystem
 * alone: no Spark job, no SparkContext needed (so it still works while Spark is stopping and delivers its
 * last events), and no scan of the history. The newest version is found from the newest one seen before, or
 * {@code _last_checkpoint}, upwards, one commit file at a time (Delta checkpoints every 10 commits by
 * default); after {@value #MAX_PROBES} probes (a writer that never checkpoints), or when the expected commit
 * files are gone (log retention), one listing of the log decides. The time of a version is its commit file's
 * modification time (Delta's commit timestamp unless in-commit timestamps are enabled).
 *
 * <p>One instance per table is kept by its reader, so the probes start where the last lookup ended.
 */
public final class DeltaCommits {
    static final int MAX_PROBES = 100;
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern COMMIT_FILE = Pattern.compile("(\\d{20})\\.json");

    /** A table version and the time it was committed. */
    public record Commit(long version, long timestampMillis) {
    }

    private final Path logPath;
    private final FileSystem fs;
    private volatile long newestSeen = -1;

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
        long start = Math.max(newestSeen, lastCheckpointVersion());
        FileStatus newest = null;
        long version = start;
        for (int probes = 0; probes < MAX_PROBES; probes++) {
            FileStatus next = commitFile(version);
            if (next == null) {
                break;
            }
            newest = next;
            version++;
        }
        Commit commit = newest == null || version - start >= MAX_PROBES ? listNewest() : new Commit(version - 1, newest.getModificationTime());
        newestSeen = commit.version();
        return commit;
    }

    /** The commit time of {@code version}. */
    public long commitTimeMillis(long version) {
        FileStatus status = commitFile(version);
        if (status == null) {
            throw new IllegalStateException("no commit file for version " + version + " in " + logPath + " (past log retention?)");
        }
        return status.getModificationTime();
    }

    /** The newest commit file by one listing of the log. */
    private Commit listNewest() {
        try {
            FileStatus newest = null;
            long newestVersion = -1;
            for (FileStatus status : fs.listStatus(logPath)) {
                Matcher m = COMMIT_FILE.matcher(status.getPath().getName());
                if (m.matches() && Long.parseLong(m.group(1)) > newestVersion) {
                    newestVersion = Long.parseLong(m.group(1));
                    newest = status;
                }
            }
            if (newest == null) {
                throw new IllegalStateException("no Delta table at " + logPath.getParent() + " (no commit file)");
            }
            return new Commit(newestVersion, newest.getModificationTime());
        } catch (FileNotFoundException e) {
            throw new IllegalStateException("no Delta table at " + logPath.getParent() + " (no _delta_log)");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list " + logPath, e);
        }
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
