package io.streamwatch.jobs.lag;

import io.streamwatch.cli.BadFlagValue;
import io.streamwatch.jobs.common.Jobs;
import io.streamwatch.jobs.common.SparkSessions;
import io.streamwatch.jobs.visits.VisitsTable;

import java.util.concurrent.Callable;
import org.apache.spark.sql.SparkSession;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** The visits reader: a batch read of the table, visits ordered by visit_id. */
@Command(name = "ReadVisits", mixinStandardHelpOptions = true, description = "Prints the visits, ordered by visit_id.")
public final class ReadVisits implements Callable<Integer> {
    @ArgGroup(exclusive = true)
    VisitsTable table = new VisitsTable();

    @Option(names = "--limit", defaultValue = "1000", description = "Visits to print at most (default: ${DEFAULT-VALUE}).")
    int limit;

    public static void main(String[] args) {
        Jobs.main(new ReadVisits(), args);
    }

    @Override
    public Integer call() {
        BadFlagValue.requirePositive("--limit", limit);
        SparkSession spark = SparkSessions.getOrCreate("ReadVisits");
        table.requireExists(spark).read(spark).orderBy("visit_id").show(limit, false);
        return 0;
    }
}
