package io.streamwatch.jobs.alarms;

import io.streamwatch.rules.Alarm;
import io.streamwatch.rules.Rule;
import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Where an alarm's time goes, for the benchmark: with {@code -Dstreamwatch.alarms.trace=<file>} each batch's moments
 * (began, matched, durable in the outbox) and each alarm's sending go to that file as CSV lines; off otherwise, and
 * never a reason for the job to fail.
 */
final class AlarmTrace {
    static final String PROPERTY = "streamwatch.alarms.trace";
    private static final Logger LOG = LoggerFactory.getLogger(AlarmTrace.class);
    private final BufferedWriter out;

    private AlarmTrace(BufferedWriter out) {
        this.out = out;
    }

    static AlarmTrace fromSystemProperty() {
        String file = System.getProperty(PROPERTY);
        if (file == null || file.isBlank()) {
            return new AlarmTrace(null);
        }
        try {
            return new AlarmTrace(Files.newBufferedWriter(Path.of(file), StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND));
        } catch (IOException | RuntimeException e) {
            LOG.warn("cannot write the alarm trace to {} ({}); no trace", file, e.getClass().getSimpleName());
            return new AlarmTrace(null);
        }
    }

    /** {@code batch,<id>,<began ms>,<matched ms>,<durable ms>,<alarms>}. */
    void batch(long batchId, long beganMillis, long matchedMillis, long durableMillis, int alarms) {
        write("batch," + batchId + "," + beganMillis + "," + matchedMillis + "," + durableMillis + "," + alarms);
    }

    /** {@code recorded,<first batch>,<last batch>,<alarms>,<began ms>,<committed ms>}: one commit to the alarms table. */
    void recorded(long firstBatch, long lastBatch, int alarms, long beganMillis) {
        write("recorded," + firstBatch + "," + lastBatch + "," + alarms + "," + beganMillis + "," + System.currentTimeMillis());
    }

    /** Whether a trace is written. */
    boolean isOn() {
        return out != null;
    }

    /** {@code progress,<batch id>,<Spark's durationMs, name=ms;...>}: where Spark's own time of a trigger went. */
    void progress(long batchId, java.util.Map<String, Long> durationsMillis) {
        StringBuilder line = new StringBuilder("progress," + batchId + ",");
        durationsMillis.forEach((phase, millis) -> line.append(phase).append('=').append(millis).append(';'));
        write(line.toString());
    }

    /** {@code sent,<batch id>,<rule id>,<value>,<sent ms>}: just before the alarm's first attempt. */
    void sent(long batchId, Alarm alarm) {
        if (out != null) {
            write("sent," + batchId + "," + alarm.ruleId() + "," + Rule.format(alarm.value()) + "," + System.currentTimeMillis());
        }
    }

    private void write(String line) {
        if (out == null) {
            return;
        }
        synchronized (out) {
            try {
                out.write(line);
                out.newLine();
                out.flush();
            } catch (IOException e) {
                // a benchmark's aid: a failed write loses a line, nothing else
            }
        }
    }
}
