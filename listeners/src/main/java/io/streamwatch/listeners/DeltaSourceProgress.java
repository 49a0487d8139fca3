package io.streamwatch.listeners;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.Optional;
import org.apache.spark.sql.streaming.SourceProgress;

/**
 * What a Delta source's progress says about the table versions a micro-batch has fully processed.
 *
 * <p>The end offset's {@code reservoirVersion} is not the version read: once version v is fully read the
 * offset points at the start of the next one ({@code reservoirVersion = v + 1, index = -1}); while the
 * initial snapshot of version v is read in several batches it stays at v with the file index. So the last
 * fully processed version is {@code reservoirVersion - 1}, except at Delta's end-of-version index.
 */
public record DeltaSourceProgress(String tableLocation, long processedVersion) {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String PREFIX = "DeltaSource[";
    /** DeltaSourceOffset.END_INDEX: the offset sits after the last file of reservoirVersion. */
    static final long END_INDEX = Long.MAX_VALUE - 100;

    /** The Delta source's processed version, or empty for other sources and batches without an end offset. */
    public static Optional<DeltaSourceProgress> of(SourceProgress source) {
        String description = source.description();
        if (description == null || !description.startsWith(PREFIX) || source.endOffset() == null) {
            return Optional.empty();
        }
        String location = description.substring(PREFIX.length(), description.length() - 1);
        return Optional.of(new DeltaSourceProgress(location, processedVersion(source.endOffset())));
    }

    static long processedVersion(String endOffsetJson) {
        try {
            JsonNode offset = JSON.readTree(endOffsetJson);
            long reservoirVersion = offset.get("reservoirVersion").asLong();
            long index = offset.get("index").asLong();
            return index == END_INDEX ? reservoirVersion : reservoirVersion - 1;
        } catch (java.io.IOException | NullPointerException e) {
            throw new IllegalArgumentException("not a Delta source offset: " + endOffsetJson, e);
        }
    }
}
