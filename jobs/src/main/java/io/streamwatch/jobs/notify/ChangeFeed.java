package io.streamwatch.jobs.notify;

import io.streamwatch.cli.Cli;
import io.streamwatch.cli.BadFlagValue;
import io.streamwatch.jobs.notify.novu.NovuClient;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.delta.DeltaLog;
import org.apache.spark.sql.delta.Snapshot;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.streaming.DataStreamReader;
import org.apache.spark.sql.types.ArrayType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import scala.collection.JavaConverters;

/**
 * The change data feed of the Delta table notifications are about (a catalog name or a path): checked at start
 * (a Delta table, its feed on, the payload and recipients columns present), read as a stream from a version, and
 * each micro-batch turned into its changes in delivery order, each with a transaction id that is the same
 * whenever that change is read again: the table's id, the commit version, the change type, the row's values and,
 * for identical rows in one commit, their ordinal. A later alert with the same values is another change with another id.
 */
final class ChangeFeed {
    static final String INSERT = "insert";
    static final String DELETE = "delete";
    static final String PREIMAGE = "update_preimage";
    static final String POSTIMAGE = "update_postimage";
    private static final Set<String> FEED_COLUMNS = Set.of("_change_type", "_commit_version", "_commit_timestamp");
    private static final Map<String, String> JSON_OPTIONS = Map.of("ignoreNullFields", "false");

    /**
     * One change to notify: a trigger (insert, update post-image) or a retraction (delete, update pre-image),
     * with the row's payload (a JSON object), its recipients (empty when they come from the settings) and its
     * identity: the hash of its values and the deterministic transaction id.
     */
    record Change(long commitVersion, String changeType, String rowHash, String transactionId, String payloadJson, List<String> recipients) {
        boolean retraction() {
            return changeType.equals(DELETE) || changeType.equals(PREIMAGE);
        }
    }

    private final String name;
    private final boolean isPath;
    private final String tableId;
    private final String location;
    private final StructType schema;
    private final List<String> payloadColumns;
    private final String recipientsColumn;

    private ChangeFeed(String name, boolean isPath, String tableId, String location, StructType schema, List<String> payloadColumns,
            String recipientsColumn) {
        this.name = name;
        this.isPath = isPath;
        this.tableId = tableId;
        this.location = location;
        this.schema = schema;
        this.payloadColumns = payloadColumns;
        this.recipientsColumn = recipientsColumn;
    }

    /**
     * The table's feed, checked: {@code payloadColumns} empty means every column; {@code recipientsColumn} may be
     * null. A setting that cannot work is a {@link BadFlagValue} naming it.
     */
    static ChangeFeed open(SparkSession spark, String table, List<String> payloadColumns, String recipientsColumn) {
        boolean isPath = table.contains("/") || table.contains(":") || table.startsWith(".");
        String sqlName = isPath ? "delta.`" + table.replace("`", "``") + "`" : table;
        TableFacts facts = isPath ? factsOfPath(spark, table) : factsOfName(spark, table, sqlName);
        if (!"true".equalsIgnoreCase(facts.properties().getOrDefault("delta.enableChangeDataFeed", "false"))) {
            throw new BadFlagValue("ALERT_TABLE: " + table + " has no change data feed; turn it on with ALTER TABLE " + sqlName
                    + " SET TBLPROPERTIES (delta.enableChangeDataFeed = true)");
        }
        StructType schema = facts.schema();
        Set<String> available = new LinkedHashSet<>(Arrays.asList(schema.fieldNames()));
        available.addAll(List.of("_commit_version", "_commit_timestamp"));
        List<String> payload = payloadColumns.isEmpty() ? Arrays.asList(schema.fieldNames()) : payloadColumns;
        List<String> missing = payload.stream().filter(column -> !available.contains(column)).toList();
        if (!missing.isEmpty()) {
            throw new BadFlagValue("ALERT_PAYLOAD: " + String.join(", ", missing) + (missing.size() == 1 ? " is" : " are")
                    + " not a column of " + table + " (its columns: " + String.join(", ", schema.fieldNames()) + ")");
        }
        if (recipientsColumn != null) {
            StructField field = Arrays.stream(schema.fields()).filter(f -> f.name().equals(recipientsColumn)).findFirst()
                    .orElseThrow(() -> new BadFlagValue("RECIPIENTS_IN_PAYLOAD: " + recipientsColumn + " is not a column of " + table
                            + " (its columns: " + String.join(", ", schema.fieldNames()) + ")"));
            boolean strings = field.dataType().equals(DataTypes.StringType) || (field.dataType() instanceof ArrayType array
                    && array.elementType().equals(DataTypes.StringType));
            if (!strings) {
                throw new BadFlagValue("RECIPIENTS_IN_PAYLOAD: " + recipientsColumn + " must hold subscriber ids (a string, comma-separated,"
                        + " or an array of strings), not " + field.dataType().simpleString());
            }
        }
        return new ChangeFeed(table, isPath, facts.id(), facts.location(), schema, List.copyOf(payload), recipientsColumn);
    }

    /** What the checks need of a table: its id, location, properties and schema. */
    private record TableFacts(String id, String location, Map<String, String> properties, StructType schema) {
    }

    /** From the Delta log alone: no SQL to plan, which a restart of the job would wait for. */
    private static TableFacts factsOfPath(SparkSession spark, String path) {
        DeltaLog log = DeltaLog.forTable(spark, path);
        Snapshot snapshot = log.update(false, scala.Option.empty(), scala.Option.empty());
        if (snapshot.version() < 0) {
            throw new BadFlagValue("ALERT_TABLE: " + path + " is not a Delta table (no commit in its _delta_log)");
        }
        return new TableFacts(snapshot.metadata().id(), log.dataPath().toString(),
                JavaConverters.mapAsJavaMap(snapshot.metadata().configuration()), snapshot.schema());
    }

    private static TableFacts factsOfName(SparkSession spark, String table, String sqlName) {
        Row detail;
        try {
            detail = spark.sql("DESCRIBE DETAIL " + sqlName).first();
        } catch (Exception e) { // AnalysisException is thrown by Scala
            throw new BadFlagValue("ALERT_TABLE: " + table + " is not a Delta table (" + Cli.oneLine(e) + ")");
        }
        if (!"delta".equalsIgnoreCase(detail.<Object>getAs("format").toString())) {
            throw new BadFlagValue("ALERT_TABLE: " + table + " is not a Delta table");
        }
        return new TableFacts(detail.<Object>getAs("id").toString(), detail.<Object>getAs("location").toString(),
                detail.getJavaMap(detail.fieldIndex("properties")), spark.read().table(table).schema());
    }

    /** The table as given (its name or path), for logs. */
    String name() {
        return name;
    }

    String location() {
        return location;
    }

    String tableId() {
        return tableId;
    }

    /** The feed as a stream from {@code startingVersion} ({@code latest}: only what is committed after the start). */
    Dataset<Row> readStream(SparkSession spark, String startingVersion, int maxFilesPerTrigger) {
        DataStreamReader reader = spark.readStream().format("delta").option("readChangeFeed", "true")
                .option("startingVersion", startingVersion).option("maxFilesPerTrigger", maxFilesPerTrigger);
        return isPath ? reader.load(name) : reader.table(name);
    }

    /** A micro-batch's changes in delivery order: by commit version, retractions before triggers, then by row. */
    List<Change> changes(Dataset<Row> batch, boolean withRetractions) {
        List<String> types = withRetractions ? List.of(INSERT, POSTIMAGE, DELETE, PREIMAGE) : List.of(INSERT, POSTIMAGE);
        Column[] dataColumns = Arrays.stream(schema.fieldNames()).filter(c -> !FEED_COLUMNS.contains(c)).map(functions::col).toArray(Column[]::new);
        Column recipients = recipientsColumn == null ? functions.array().cast("array<string>")
                : schema.apply(recipientsColumn).dataType() instanceof ArrayType ? functions.col(recipientsColumn)
                : functions.split(functions.col(recipientsColumn), ",");
        List<Row> rows = batch.where(functions.col("_change_type").isin(types.toArray()))
                .select(functions.col("_commit_version"), functions.col("_change_type"),
                        functions.sha2(functions.to_json(functions.struct(dataColumns), JSON_OPTIONS), 256).as("row_hash"),
                        functions.to_json(functions.struct(payloadColumns.stream().map(functions::col).toArray(Column[]::new)), JSON_OPTIONS)
                                .as("payload"),
                        recipients.as("recipients"))
                .orderBy(functions.col("_commit_version"),
                        functions.when(functions.col("_change_type").isin(DELETE, PREIMAGE), 0).otherwise(1),
                        functions.col("row_hash"), functions.col("_change_type"))
                .collectAsList();
        List<Change> changes = new ArrayList<>(rows.size());
        String previous = null;
        int ordinal = 0;
        for (Row row : rows) {
            long version = row.getLong(0);
            String type = row.getString(1);
            String rowHash = row.getString(2);
            String identity = version + "/" + type + "/" + rowHash;
            ordinal = identity.equals(previous) ? ordinal + 1 : 0;
            previous = identity;
            List<String> to = row.isNullAt(4) ? List.of() : row.<String>getList(4).stream()
                    .filter(Objects::nonNull).map(String::strip).filter(id -> !id.isEmpty()).toList();
            changes.add(new Change(version, type, rowHash, "sw-" + NovuClient.digest(tableId + "/" + identity + "/" + ordinal),
                    row.getString(3), to));
        }
        return changes;
    }
}
