package io.streamwatch.jobs;

import io.streamwatch.cli.Cli;
import io.streamwatch.jobs.lag.ConsumeVisits;
import io.streamwatch.jobs.lag.ReadVisits;
import io.streamwatch.jobs.lag.WriteVisits;
import io.streamwatch.jobs.visits.CreateVisitsTable;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.delta.tables.DeltaTable;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.concurrent.Callable;
import org.junit.jupiter.api.Test;

public class BadInputTest extends PushgatewayAndSparkTest {

    public record Outcome(int exitCode, String stderr) {
    }

    public static Outcome runCapturing(Callable<Integer> job, String... args) {
        StringWriter err = new StringWriter();
        int exitCode = Cli.commandLine(job, new PrintWriter(new StringWriter(), true), new PrintWriter(err, true)).execute(args);
        return new Outcome(exitCode, err.toString());
    }

    public static void assertOneLineError(Outcome outcome, int exitCode, String expected) {
        assertEquals(exitCode, outcome.exitCode(), outcome.stderr());
        assertEquals(1, outcome.stderr().lines().count(), "one line: " + outcome.stderr());
        assertTrue(outcome.stderr().contains(expected), outcome.stderr());
    }

    @Test
    void anUnknownPathIsNamedInOneLineWithANonZeroExit() {
        String missing = dir.resolve("no-such-table").toString();
        String expected = "no Delta table at path " + missing;
        assertOneLineError(runCapturing(new ReadVisits(), "--path", missing), Cli.FAILED, expected);
        assertOneLineError(runCapturing(new WriteVisits(), "--path", missing, "--pushgateway", pushgateway.address()),
                Cli.FAILED, expected);
        assertOneLineError(runCapturing(new ConsumeVisits(), "--path", missing, "--checkpoint", checkpoint(),
                "--pushgateway", pushgateway.address()), Cli.FAILED, expected);
    }

    @Test
    void anUnknownCatalogTableIsNamed() {
        assertOneLineError(runCapturing(new ReadVisits(), "--table", "no_such_visits"), Cli.FAILED,
                "no Delta table at table no_such_visits");
    }

    @Test
    void badFlagsGetOneLineAndExitCodeTwo() {
        assertOneLineError(runCapturing(new WriteVisits(), "--commitz", "3"), Cli.BAD_FLAGS, "Unknown options: '--commitz'");
        assertOneLineError(runCapturing(new ReadVisits(), "--table", "a", "--path", "/b"), Cli.BAD_FLAGS, "mutually exclusive");
        assertOneLineError(runCapturing(new ConsumeVisits(), "--trigger-interval", "soon"), Cli.BAD_FLAGS,
                "'soon' is not a duration");
        assertOneLineError(runCapturing(new WriteVisits(), "--commits", "-1"), Cli.BAD_FLAGS, "--commits must be positive, was -1 (see --help)");
        assertOneLineError(runCapturing(new ReadVisits(), "--limit", "0"), Cli.BAD_FLAGS, "--limit must be positive, was 0 (see --help)");
    }

    @Test
    void aVisitWithoutIdIsRefusedByTheTable() {
        createTable();
        Exception refused = assertThrows(Exception.class, () -> spark().sql("INSERT INTO delta.`" + tablePath()
                + "` VALUES (NULL, current_timestamp(), 'user 1', 'index.html')"));
        assertTrue(refused.getMessage().contains("visit_id"), refused.getMessage());
        assertEquals(0, spark().read().format("delta").load(tablePath()).count());
    }

    @Test
    void deletesAreRefusedOnTheAppendOnlyTable() {
        createTable();
        write(1);
        Exception refused = assertThrows(Exception.class, () -> DeltaTable.forPath(spark(), tablePath()).delete());
        assertTrue(refused.getMessage().contains("append"), refused.getMessage());
        assertEquals(3, spark().read().format("delta").load(tablePath()).count());
    }

    @Test
    void recreatingStartsFromAnEmptyTableAndRerunningKeepsTheData() {
        createTable();
        write(1);
        createTable();
        assertEquals(3, spark().read().format("delta").load(tablePath()).count(), "re-running is safe");
        run(new CreateVisitsTable(), "--path", tablePath(), "--recreate");
        assertEquals(0, spark().read().format("delta").load(tablePath()).count());
    }
}
