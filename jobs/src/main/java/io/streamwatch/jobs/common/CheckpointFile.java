package io.streamwatch.jobs.common;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Paths;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
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
 * of one. Where delivery records how far it got inside a micro-batch, and where the alarms' outbox keeps each batch.
 * On a local disk it is written with the JDK's own file calls (the file and its folder synced): Hadoop's local file
 * system costs a checksum file and many calls per save, on the path of every alarm.
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
        java.nio.file.Path local = local(fs);
        if (local != null) {
            try {
                return Optional.ofNullable(JSON.readTree(Files.readString(local, StandardCharsets.UTF_8)));
            } catch (NoSuchFileException e) {
                return Optional.empty();
            }
        }
        if (!fs.exists(path)) {
            return Optional.empty();
        }
        try (var in = fs.open(path)) {
            return Optional.ofNullable(JSON.readTree(new String(in.readAllBytes(), StandardCharsets.UTF_8)));
        }
    }

    public void save(JsonNode content) {
        byte[] bytes = content.toString().getBytes(StandardCharsets.UTF_8);
        try {
            java.nio.file.Path local = local(path.getFileSystem(hadoop));
            if (local != null) {
                saveLocally(local, bytes);
                return;
            }
            FileContext files = FileContext.getFileContext(path.toUri(), hadoop);
            Path temporary = new Path(path.getParent(), "." + path.getName() + "." + System.nanoTime());
            try (FSDataOutputStream out = files.create(temporary, EnumSet.of(CreateFlag.CREATE, CreateFlag.OVERWRITE),
                    Options.CreateOpts.createParent())) {
                out.write(bytes);
                out.hsync();
            }
            files.rename(temporary, path, Options.Rename.OVERWRITE);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot save " + path, e);
        }
    }

    /** The file on the local disk, or null when the checkpoint is on another file system. */
    private java.nio.file.Path local(FileSystem fs) {
        return "file".equals(fs.getScheme()) ? Paths.get(fs.makeQualified(path).toUri()) : null;
    }

    private static void saveLocally(java.nio.file.Path file, byte[] bytes) throws IOException {
        java.nio.file.Path folder = file.getParent();
        Files.createDirectories(folder);
        java.nio.file.Path temporary = folder.resolve("." + file.getFileName() + "." + System.nanoTime());
        try (FileChannel out = FileChannel.open(temporary, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            ByteBuffer buffer = ByteBuffer.wrap(bytes);
            while (buffer.hasRemaining()) {
                out.write(buffer);
            }
            out.force(true);
        }
        Files.move(temporary, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        // A checksum Hadoop wrote beside an earlier version would no longer match it.
        Files.deleteIfExists(folder.resolve("." + file.getFileName() + ".crc"));
        try (FileChannel directory = FileChannel.open(folder, StandardOpenOption.READ)) {
            directory.force(true); // the rename itself survives a power loss
        } catch (IOException e) {
            // not every platform opens a folder for syncing; the file's own content is synced
        }
    }
}
