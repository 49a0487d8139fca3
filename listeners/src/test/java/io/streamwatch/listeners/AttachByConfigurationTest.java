package io.streamwatch.listeners;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.streamwatch.testkit.LocalPushgateway;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The listener attached to a job that knows nothing of it, by Spark configuration alone, in a JVM of its
 * own as spark-submit would start it ({@code --conf} becomes a {@code spark.*} system property there).
 */
class AttachByConfigurationTest {
    @TempDir
    Path dir;

    @Test
    void theReaderVersionOfAnUnchangedJobReachesThePushgateway() throws Exception {
        try (LocalPushgateway pushgateway = LocalPushgateway.start(dir.resolve("pushgateway"))) {
            Path table = dir.resolve("table");
            List<String> command = new ArrayList<>();
            command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
            command.addAll(List.of(System.getProperty("streamwatch.java.opens", "").split(" ")));
            command.removeIf(String::isBlank);
            command.addAll(List.of("-Xmx1g", "-cp", System.getProperty("java.class.path"),
                    "-Dspark.master=local[2]", "-Dspark.ui.enabled=false",
                    "-Dspark.sql.streaming.streamingQueryListeners=" + ReaderVersionListener.class.getName(),
                    "-D" + StreamwatchSettings.PUSHGATEWAY_ADDRESS + "=" + pushgateway.address(),
                    "-D" + StreamwatchSettings.JOB + "=attached_by_conf",
                    PlainDeltaStream.class.getName(), table.toString(), dir.resolve("checkpoint").toString()));
            File log = dir.resolve("job.log").toFile();
            ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log);
            builder.environment().put("SPARK_LOCAL_IP", "127.0.0.1");
            Process job = builder.start();
            if (!job.waitFor(3, TimeUnit.MINUTES)) {
                job.destroyForcibly();
            }
            assertEquals(0, job.exitValue(), () -> "job failed: " + tail(log));

            Map<String, String> series = Map.of("job", "attached_by_conf", "query", "plain_stream",
                    "table", "file:" + table.toAbsolutePath());
            // The JVM has exited: the value was delivered by the listener before it ended, nothing waits now.
            assertEquals(1, pushgateway.value(MetricNaming.STREAMWATCH.readerVersion(), series).orElseThrow(
                    () -> new AssertionError("no reader version in " + pushgateway.metrics().samples() + "\n" + tail(log))));
            assertEquals(0, pushgateway.value(MetricNaming.STREAMWATCH.readerLagVersions(), series).getAsDouble());
        }
    }

    private static String tail(File log) {
        try {
            List<String> lines = Files.readAllLines(log.toPath());
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 30), lines.size()));
        } catch (java.io.IOException e) {
            return e.toString();
        }
    }
}
