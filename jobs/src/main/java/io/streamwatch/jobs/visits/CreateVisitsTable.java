package io.streamwatch.jobs.visits;

import io.streamwatch.jobs.common.DeltaTables;
import io.streamwatch.jobs.common.Jobs;
import io.streamwatch.jobs.common.SparkSessions;
import java.io.IOException;
import java.util.concurrent.Callable;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.SparkSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Creates the append-only Delta {@code visits} table (NOT NULL columns, so the invariants feature) and
 * prints its features and protocol. Safe to re-run; {@code --recreate} drops it first.
 */
@Command(name = "CreateVisitsTable", mixinStandardHelpOptions = true,
        description = "Creates the append-only Delta visits table and prints its features and properties.")
public final class CreateVisitsTable implements Callable<Integer> {
    private static final Logger LOG = LoggerFactory.getLogger(CreateVisitsTable.class);

    @ArgGroup(exclusive = true)
    VisitsTable table = new VisitsTable();

    @Option(names = "--recreate", description = "Drop the table (and its data) first.")
    boolean recreate;

    @Option(names = "--schema", defaultValue = "flat",
            description = "flat: the lag detector's visits; nested: the visits the generator writes to Kafka (default: ${DEFAULT-VALUE}).")
    VisitsSchema schema;

    public static void main(String[] args) {
        Jobs.main(new CreateVisitsTable(), args);
    }

    @Override
    public Integer call() throws Exception {
        SparkSession spark = SparkSessions.getOrCreate("CreateVisitsTable");
        if (recreate) {
            drop(spark);
        }
        boolean existed = table.exists(spark);
        createIfMissing(spark, table, schema.columns());
        LOG.info("{} {}", existed ? "kept the existing" : "created", table.describe());
        spark.sql("DESCRIBE DETAIL " + table.sqlName()).select("name", "location", "tableFeatures").show(false);
        spark.sql("SHOW TBLPROPERTIES " + table.sqlName()).where("key LIKE 'delta.min%'").show(false);
        return 0;
    }

    /** Creates an append-only Delta table with these columns unless it exists (see {@link DeltaTables}). */
    public static void createIfMissing(SparkSession spark, VisitsTable table, String columns) {
        DeltaTables.createIfMissing(spark, table.sqlName(), table.describe(), columns, "'delta.appendOnly' = 'true'");
    }

    private void drop(SparkSession spark) throws IOException {
        if (table.isCatalogTable()) {
            spark.sql("DROP TABLE IF EXISTS " + table.sqlName());
        } else {
            Path path = new Path(table.pathOrDefault());
            path.getFileSystem(spark.sparkContext().hadoopConfiguration()).delete(path, true);
        }
        LOG.info("dropped {}", table.describe());
    }
}
