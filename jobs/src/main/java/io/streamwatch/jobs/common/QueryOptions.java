package io.streamwatch.jobs.common;

import io.streamwatch.cli.BadFlagValue;
import io.streamwatch.cli.DurationConverter;
import java.time.Duration;
import picocli.CommandLine.Option;

/**
 * The options of a job's streaming query, a mixin: its checkpoint, trigger interval, name (the {@code query} label)
 * and heartbeat. The defaults are each job's own, declared with its {@link io.streamwatch.cli.OptionDefaults}.
 */
public final class QueryOptions {
    @Option(names = "--checkpoint", paramLabel = "PATH", description = "Checkpoint folder, any Hadoop path: the query's progress (default: ${DEFAULT-VALUE}).")
    String checkpoint;

    @Option(names = "--trigger-interval", paramLabel = "DURATION", converter = DurationConverter.class,
            description = "Processing-time trigger interval; 0s starts each batch as soon as the last one ends (default: ${DEFAULT-VALUE}).")
    Duration triggerInterval;

    @Option(names = "--query-name", paramLabel = "NAME", description = "Streaming query name, the 'query' label (default: ${DEFAULT-VALUE}).")
    String queryName;

    @Option(names = "--heartbeat-interval", paramLabel = "DURATION", defaultValue = "5s", converter = DurationConverter.class,
            description = "How often the health listener pushes while nothing else happens (default: ${DEFAULT-VALUE}).")
    Duration heartbeatInterval;

    public String checkpoint() {
        return checkpoint;
    }

    public Duration triggerInterval() {
        return triggerInterval;
    }

    public long triggerMillis() {
        return triggerInterval.toMillis();
    }

    public String queryName() {
        return queryName;
    }

    public Duration heartbeatInterval() {
        return heartbeatInterval;
    }

    /** Fails as a bad flag on a negative trigger interval or a heartbeat that is not positive. */
    public void requireValid() {
        BadFlagValue.requireNotNegative("--trigger-interval", triggerInterval.toMillis(), triggerInterval.toMillis() + "ms");
        BadFlagValue.requirePositive("--heartbeat-interval", heartbeatInterval.toMillis());
        if (queryName == null || queryName.isBlank()) {
            throw new BadFlagValue("--query-name must not be empty");
        }
    }
}
