package io.streamwatch.jobs.sla;

import io.streamwatch.cli.Cli;
import io.streamwatch.jobs.KafkaPushgatewayAndSparkTest;

import static io.streamwatch.jobs.BadInputTest.assertOneLineError;
import static io.streamwatch.jobs.BadInputTest.runCapturing;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.streamwatch.testkit.FreePorts;
import org.junit.jupiter.api.Test;

class SyncBadFlagsTest extends KafkaPushgatewayAndSparkTest {

    @Test
    void badFlagsGetOneLineAndANonZeroExitWithinBoundedTime() {
        generate(1, 0);
        assertOneLineError(runCapturing(new SyncVisitsToDelta(), syncArgsFor(kafka.bootstrapServers(), "visits and more!")), Cli.BAD_FLAGS,
                "'visits and more!' is not a Kafka topic name");
        assertOneLineError(runCapturing(new SyncVisitsToDelta(), syncArgs("--batch-delay=-2s")), Cli.BAD_FLAGS,
                "--batch-delay must not be negative, was -2000ms (see --help)");
        assertOneLineError(runCapturing(new SyncVisitsToDelta(), syncArgs("--starting-offsets", "yesterday")), Cli.BAD_FLAGS,
                "Invalid value for option '--starting-offsets': expected one of [EARLIEST, LATEST] (case-insensitive) but was 'yesterday' (see --help)");
        assertOneLineError(runCapturing(new SyncVisitsToDelta(), syncArgs("--batch-delay", "soon")), Cli.BAD_FLAGS,
                "'soon' is not a duration");
        assertOneLineError(runCapturing(new SyncVisitsToDelta(), syncArgsFor(kafka.bootstrapServers(), "no_such_topic")), Cli.FAILED,
                "topic no_such_topic does not exist at " + kafka.bootstrapServers());
        assertOneLineError(runCapturing(new GenerateVisits(), "--bootstrap-servers", kafka.bootstrapServers(), "--malformed-ratio", "1.5"),
                Cli.BAD_FLAGS, "--malformed-ratio must be between 0 and 1, was 1.5 (see --help)");

        String nowhere = "127.0.0.1:" + FreePorts.next();
        long start = System.nanoTime();
        assertOneLineError(runCapturing(new SyncVisitsToDelta(), syncArgsFor(nowhere, topic)), Cli.FAILED,
                "cannot reach Kafka at " + nowhere + " within 10 s");
        assertOneLineError(runCapturing(new GenerateVisits(), "--bootstrap-servers", nowhere), Cli.FAILED,
                "cannot reach Kafka at " + nowhere);
        long seconds = (System.nanoTime() - start) / 1_000_000_000;
        assertTrue(seconds < 30, "two unreachable-broker checks took " + seconds + " s");
    }

    /** The fault-injection flags are refused, as bad flags, by a JVM without the test switch (any production job). */
    @Test
    void theFaultInjectionFlagsNeedTheTestSwitch() {
        generate(1, 0);
        String switchValue = System.clearProperty(SyncVisitsToDelta.FAULTS_SWITCH);
        try {
            for (String flag : java.util.List.of("--fail-in-batch", "--delay-from-batch")) {
                assertOneLineError(runCapturing(new SyncVisitsToDelta(), syncArgs(flag, "1")), Cli.BAD_FLAGS,
                        "--fail-in-batch and --delay-from-batch inject faults for tests: they need -D" + SyncVisitsToDelta.FAULTS_SWITCH + "=true");
            }
        } finally {
            if (switchValue != null) {
                System.setProperty(SyncVisitsToDelta.FAULTS_SWITCH, switchValue);
            }
        }
    }
}
