package io.streamwatch.jobs;

import static org.awaitility.Awaitility.await;

import io.streamwatch.testkit.LocalPushgateway;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.OptionalDouble;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;

/** A real Pushgateway per test class, a temp folder per test, and the jobs run in this JVM's SparkSession. */
abstract class JobTestSupport {
    static LocalPushgateway pushgateway;

    @TempDir
    static Path classDir;

    @TempDir
    Path dir;

    @BeforeAll
    static void startPushgateway() {
        pushgateway = LocalPushgateway.start(classDir.resolve("pushgateway"));
    }

    @AfterAll
    static void stopPushgateway() {
        if (pushgateway != null) {
            pushgateway.close();
        }
    }

    static SparkSession spark() {
        return SparkSessions.getOrCreate("tests");
    }

    String tablePath() {
        return dir.resolve("visits").toString();
    }

    String checkpoint() {
        return dir.resolve("checkpoint").toString();
    }

    /** The table's location as metrics label it. */
    String tableLabel() {
        return VisitsTable.atPath(tablePath()).deltaLog(spark()).dataPath().toString();
    }

    static void run(java.util.concurrent.Callable<Integer> job, String... args) {
        int exitCode = Jobs.execute(job, args);
        if (exitCode != 0) {
            throw new AssertionError(job.getClass().getSimpleName() + " exited with " + exitCode);
        }
    }

    void createTable() {
        run(new CreateVisitsTable(), "--path", tablePath());
    }

    void write(int commits, String... more) {
        String[] args = concat(new String[] {"--path", tablePath(), "--pushgateway", pushgateway.address(),
            "--commits", String.valueOf(commits)}, more);
        run(new WriteVisits(), args);
    }

    void consume(String... more) {
        run(new ConsumeVisits(), concat(new String[] {"--path", tablePath(), "--checkpoint", checkpoint(),
            "--pushgateway", pushgateway.address(), "--quiet"}, more));
    }

    double writerVersion() {
        return awaitValue(WriteVisits.WRITER_VERSION, Map.of("job", WriteVisits.JOB, "table", tableLabel()));
    }

    double readerValue(String metric) {
        return awaitValue(metric, Map.of("job", "visits_reader", "query", ConsumeVisits.QUERY_NAME, "table", tableLabel()));
    }

    static double awaitValue(String metric, Map<String, String> labels) {
        return await().atMost(Duration.ofSeconds(20))
                .until(() -> pushgateway.value(metric, labels), OptionalDouble::isPresent).getAsDouble();
    }

    static String[] concat(String[] first, String[] second) {
        String[] all = java.util.Arrays.copyOf(first, first.length + second.length);
        System.arraycopy(second, 0, all, first.length, second.length);
        return all;
    }
}
