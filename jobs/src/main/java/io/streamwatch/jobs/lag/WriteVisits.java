package io.streamwatch.jobs.lag;

import io.streamwatch.jobs.common.JobMetric;
import io.streamwatch.cli.BadFlagValue;
import io.streamwatch.jobs.common.Jobs;
import io.streamwatch.jobs.common.PushOptions;
import io.streamwatch.jobs.common.SparkSessions;
import io.streamwatch.jobs.visits.VisitsSchema;
import io.streamwatch.jobs.visits.VisitsTable;

import io.streamwatch.listeners.MetricNaming;
import io.streamwatch.listeners.PushGroup;
import java.sql.Timestamp;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.delta.DeltaLog;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * The visits creator: appends visits in a few commits and pushes the committed table version as
 * {@code visits_writer_version}. The version is the one Delta's commit installed in this JVM, looked up
 * without I/O, so its cost does not grow with the table's history (a DESCRIBE HISTORY scan would grow with it).
 */
@Command(name = "WriteVisits", mixinStandardHelpOptions = true,
        description = "Appends visits to the visits table and pushes visits_writer_version.")
public final class WriteVisits implements Callable<Integer> {
    public static final String JOB = "visits_writer";
    public static final String WRITER_VERSION = JobMetric.VISITS_WRITER_VERSION.metricName();
    private static final Logger LOG = LoggerFactory.getLogger(WriteVisits.class);
    private static final String[] PAGES = {"index.html", "contact.html", "about.html"};

    @ArgGroup(exclusive = true)
    VisitsTable table = new VisitsTable();

    @Mixin
    PushOptions push = new PushOptions().withDefaultNaming(MetricNaming.VISITS);

    @Option(names = "--commits", defaultValue = "3", description = "Commits to make (default: ${DEFAULT-VALUE}).")
    int commits;

    @Option(names = "--visits-per-commit", defaultValue = "3", description = "Visits in each commit (default: ${DEFAULT-VALUE}).")
    int visitsPerCommit;

    @Option(names = "--files-per-commit", defaultValue = "1", description = "Data files each commit writes (default: ${DEFAULT-VALUE}).")
    int filesPerCommit;

    @Option(names = "--job-name", defaultValue = JOB, description = "Pushgateway job label (default: ${DEFAULT-VALUE}).")
    String jobName;

    public static void main(String[] args) {
        Jobs.main(new WriteVisits(), args);
    }

    @Override
    public Integer call() {
        BadFlagValue.requirePositive("--commits", commits);
        BadFlagValue.requirePositive("--visits-per-commit", visitsPerCommit);
        BadFlagValue.requirePositive("--files-per-commit", filesPerCommit);
        SparkSession spark = SparkSessions.getOrCreate("WriteVisits");
        push.settings(spark);
        table.requireExists(spark);
        DeltaLog deltaLog = table.deltaLog(spark);
        long writerVersion = deltaLog.update(false, scala.Option.empty(), scala.Option.empty()).version();
        for (int i = 0; i < commits; i++) {
            appendVisits(spark, writerVersion + 1);
            writerVersion = deltaLog.unsafeVolatileSnapshot().version();
            System.out.printf("committed version %d (%d visits)%n", writerVersion, visitsPerCommit);
        }
        pushWriterVersion(spark, deltaLog.dataPath().toString(), writerVersion);
        return 0;
    }

    private void appendVisits(SparkSession spark, long commitNumber) {
        Timestamp eventTime = new Timestamp(System.currentTimeMillis());
        List<Row> visits = new ArrayList<>();
        for (int i = 0; i < visitsPerCommit; i++) {
            visits.add(RowFactory.create("visit " + commitNumber + "-" + i, eventTime, "user " + commitNumber,
                    PAGES[(int) ((commitNumber - 1) % PAGES.length)]));
        }
        table.target().append(spark.createDataFrame(visits, VisitsSchema.flat.structType()).repartition(filesPerCommit), Map.of());
    }

    private void pushWriterVersion(SparkSession spark, String tableLocation, long writerVersion) {
        PushGroup group = new PushGroup(jobName, Map.of("table", tableLocation));
        push.publisher(spark).ifPresent(publisher -> publisher.publish(group, () -> List.of(JobMetric.VISITS_WRITER_VERSION.sample(writerVersion))));
        push.flush(spark, LOG);
    }
}
