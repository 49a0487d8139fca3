package io.streamwatch.jobs.common;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.EnumSet;
import java.util.Optional;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.CreateFlag;
import org.apache.hadoop.fs.FSDataOutputStream;
import org.apache.hadoop.fs.FileContext;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Options;
import org.apache.hadoop.fs.Path;

/**
 * A small JSON file of a job's own in its checkpoint folder (any Hadoop file system), replaced atomically and durably
 * (written aside, synced to the disk, renamed over): a crash or a power loss leaves the last saved content, never half
 * of one. Where delivery records how far
 * it got inside a micro-batch.
 */
public final class CheckpointFile {
    public static final ObjectMapper JSON = new ObjectMapper();

    private final Path path;
    private final Configuration hadoop;

    public CheckpointFile(String checkpoint, String relativePath, Configuration hadoop) {
        this.path = new Path(checkpoint, relativePath);
        this.hadoop = hadoop;
    }

    public Path path() {
        return path;
    }

    /** The saved content; empty when none was saved yet. Throws when it exists but cannot be read. */
    public Optional<JsonNode> load() throws IOException {
        FileSystem fs = path.getFileSystem(hadoop);
        if (!fs.exists(path)) {
            return Optional.empty();
        }
        try (var in = fs.open(path)) {
            return Optional.ofNullable(JSON.readTree(new String(in.readAllBytes(), StandardCharsets.UTF_8)));
        }
    }

    public void save(JsonNode content) {
        try {
            FileContext files = FileContext.getFileContext(path.toUri(), hadoop);
            Path temporary = new Path(path.getParent(), "." + path.getName() + "." + System.nanoTime());
            try (FSDataOutputStream out = files.create(temporary, EnumSet.of(CreateFlag.CREATE, CreateFlag.OVERWRITE),
                    Options.CreateOpts.createParent())) {
                out.write(content.toString().getBytes(StandardCharsets.UTF_8));
                out.hsync();
            }
            files.rename(temporary, path, Options.Rename.OVERWRITE);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot save " + path, e);
        }
    }
}
