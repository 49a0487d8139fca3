package io.streamwatch.listeners;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.util.Optional;
import org.apache.spark.sql.streaming.SourceProgress;

/**
 * What a Delta source's progress says about the table versions a micro-batch has fully processed.
 *
 * <p>The end offset's {@code reservoirVersion} is not the version read: once version v is fully read the
 * offset points at the start of the next one ({@code reservoirVersion = v + 1, index = -1}), so the last fully
 * processed version is {@code reservoirVersion - 1} (or v itself at Delta's end-of-version index). While the
 * initial snapshot of version v is read in several batches the offset stays at v with
 * {@code isStartingVersion = true} and the file index: the snapshot holds the data of every version up to v,
 * so none of them is fully processed yet, and the processed version is {@link #NOTHING_PROCESSED}.
 */
public record DeltaSourceProgress(String tableLocation, long processedVersion) {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String PREFIX = "DeltaSource[";
    /** DeltaSourceOffset.END_INDEX: the offset sits after the last file of reservoirVersion. */
    static final long END_INDEX = Long.MAX_VALUE - 100;
    /** The processed version while the initial snapshot is still being read. */
    public static final long NOTHING_PROCESSED = -1;

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
            boolean readingSnapshot = offset.path("isStartingVersion").asBoolean(false);
            if (index == END_INDEX) {
                return reservoirVersion;
            }
            return readingSnapshot ? NOTHING_PROCESSED : reservoirVersion - 1;
        } catch (IOException | NullPointerException e) {
            throw new IllegalArgumentException("not a Delta source offset: " + endOffsetJson, e);
        }
    }
}
