package io.streamwatch.jobs;

import io.streamwatch.jobs.common.Jobs;
import io.streamwatch.jobs.common.SparkSessions;
import io.streamwatch.jobs.lag.ConsumeVisits;
import io.streamwatch.jobs.lag.WriteVisits;
import io.streamwatch.jobs.visits.CreateVisitsTable;
import io.streamwatch.jobs.visits.VisitsTable;

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
public abstract class PushgatewayAndSparkTest {
    protected static LocalPushgateway pushgateway;

    @TempDir
    protected static Path classDir;

    @TempDir
    protected Path dir;

    @BeforeAll
    protected static void startPushgateway() {
        pushgateway = LocalPushgateway.start(classDir.resolve("pushgateway"));
    }

    @AfterAll
    protected static void stopPushgateway() {
        if (pushgateway != null) {
            pushgateway.close();
        }
    }

    protected static SparkSession spark() {
        return SparkSessions.getOrCreate("tests");
    }

    protected String tablePath() {
        return dir.resolve("visits").toString();
    }

    protected String checkpoint() {
        return dir.resolve("checkpoint").toString();
    }

    /** The table's location as metrics label it. */
    protected String tableLabel() {
        return VisitsTable.atPath(tablePath()).deltaLog(spark()).dataPath().toString();
    }

    protected static void run(java.util.concurrent.Callable<Integer> job, String... args) {
        int exitCode = Jobs.execute(job, args);
        if (exitCode != 0) {
            throw new AssertionError(job.getClass().getSimpleName() + " exited with " + exitCode);
        }
    }

    protected void createTable() {
        run(new CreateVisitsTable(), "--path", tablePath());
    }

    protected void write(int commits, String... more) {
        String[] args = concat(new String[] {"--path", tablePath(), "--pushgateway", pushgateway.address(),
            "--commits", String.valueOf(commits)}, more);
        run(new WriteVisits(), args);
    }

    protected void consume(String... more) {
        run(new ConsumeVisits(), concat(new String[] {"--path", tablePath(), "--checkpoint", checkpoint(),
            "--pushgateway", pushgateway.address(), "--quiet"}, more));
    }

    protected double writerVersion() {
        return awaitValue(WriteVisits.WRITER_VERSION, Map.of("job", WriteVisits.JOB, "table", tableLabel()));
    }

    protected double readerValue(String metric) {
        return awaitValue(metric, Map.of("job", "visits_reader", "query", ConsumeVisits.QUERY_NAME, "table", tableLabel()));
    }

    protected static double awaitValue(String metric, Map<String, String> labels) {
        return await().atMost(Duration.ofSeconds(20))
                .until(() -> pushgateway.value(metric, labels), OptionalDouble::isPresent).getAsDouble();
    }

    protected static String[] concat(String[] first, String[] second) {
        String[] all = java.util.Arrays.copyOf(first, first.length + second.length);
        System.arraycopy(second, 0, all, first.length, second.length);
        return all;
    }
}
