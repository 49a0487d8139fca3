package io.streamwatch.jobs.common;

import java.util.Locale;
import picocli.CommandLine.Option;

/** Where a new checkpoint starts reading its Kafka topic, a mixin; the default is each job's own. */
public final class StartingOffsets {
    /** The two places Spark's Kafka source can start from. */
    public enum Position {
        EARLIEST, LATEST
    }

    @Option(names = "--starting-offsets", paramLabel = "earliest|latest",
            description = "Where a new checkpoint starts reading: earliest or latest (default: ${DEFAULT-VALUE}).")
    Position position;

    public Position position() {
        return position;
    }

    /** The value of Spark's {@code startingOffsets} option. */
    public String sparkOption() {
        return position.name().toLowerCase(Locale.ROOT);
    }
}
