package io.streamwatch.jobs.visits;

import io.delta.tables.DeltaTable;
import io.streamwatch.cli.CommandFailure;
import java.io.Serializable;
import java.util.Map;
import org.apache.spark.sql.DataFrameWriter;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.delta.DeltaLog;
import org.apache.spark.sql.streaming.DataStreamReader;
import picocli.CommandLine.Option;

/**
 * Which visits table a job works on: a catalog table ({@code --table}) or a Delta folder ({@code --path}),
 * with the table's schema. Picocli fills it; every job takes it as {@code @ArgGroup}.
 */
public final class VisitsTable {
    public static final String DEFAULT_PATH = "/tmp/streamwatch/visits";

    @Option(names = "--table", description = "Catalog table name, e.g. visits or db.visits (needs a metastore shared by the jobs).")
    String name;

    @Option(names = "--path", description = "Delta table folder, any Hadoop path (default: " + DEFAULT_PATH + ").")
    String path;

    private final String defaultPath;

    /** The table at the default path. */
    public VisitsTable() {
        this(DEFAULT_PATH);
    }

    private VisitsTable(String defaultPath) {
        this.defaultPath = defaultPath;
    }

    /** A job's table when neither --table nor --path is given. */
    public static VisitsTable withDefaultPath(String defaultPath) {
        return new VisitsTable(defaultPath);
    }

    public static VisitsTable atPath(String path) {
        VisitsTable table = new VisitsTable();
        table.path = path;
        return table;
    }

    /**
     * Where the records refused from this table go: {@code NAME_quarantine} for a catalog table (in its
     * database), the table's folder + {@code _quarantine} for a path.
     */
    public VisitsTable quarantine() {
        VisitsTable quarantine = new VisitsTable(pathOrDefault() + "_quarantine");
        if (name != null) {
            quarantine.name = name + "_quarantine";
        }
        return quarantine;
    }

    /** Where to append rows, matched to the table's columns by name (never by position). */
    public record Target(String name, String path) implements Serializable {
        public void append(Dataset<Row> rows, Map<String, String> options) {
            DataFrameWriter<Row> writer = rows.write().format("delta").mode("append").options(options);
            if (name != null) {
                writer.saveAsTable(name);
            } else {
                writer.save(path);
            }
        }
    }

    public Target target() {
        return new Target(name, name != null ? null : pathOrDefault());
    }

    /** How SQL names the table: {@code visits} or {@code delta.`/path`}. */
    public String sqlName() {
        return name != null ? name : "delta.`" + pathOrDefault() + "`";
    }

    /** How messages name the table. */
    public String describe() {
        return name != null ? "table " + name : "path " + pathOrDefault();
    }

    public boolean isCatalogTable() {
        return name != null;
    }

    public String pathOrDefault() {
        return path != null ? path : defaultPath;
    }

    public boolean exists(SparkSession spark) {
        return name != null ? spark.catalog().tableExists(name) : DeltaTable.isDeltaTable(spark, pathOrDefault());
    }

    /** Fails with a one-line message naming the table when there is no Delta table there. */
    public VisitsTable requireExists(SparkSession spark) {
        if (!exists(spark)) {
            throw new CommandFailure("no Delta table at " + describe() + " (create it with CreateVisitsTable)");
        }
        return this;
    }

    /** The table's Delta log (cached per JVM by Delta); its snapshot after a commit is that commit's version. */
    public DeltaLog deltaLog(SparkSession spark) {
        return DeltaLog.forTable(spark, location(spark));
    }

    /** Where the table's files are: its path, or a catalog table's location. */
    public String location(SparkSession spark) {
        return name != null ? DeltaTable.forName(spark, name).detail().select("location").first().getString(0) : pathOrDefault();
    }

    public Dataset<Row> read(SparkSession spark) {
        return name != null ? spark.read().table(name) : spark.read().format("delta").load(pathOrDefault());
    }

    public Dataset<Row> readStream(DataStreamReader reader) {
        return name != null ? reader.table(name) : reader.format("delta").load(pathOrDefault());
    }
}
