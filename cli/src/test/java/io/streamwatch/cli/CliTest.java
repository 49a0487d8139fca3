package io.streamwatch.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.Callable;
import org.junit.jupiter.api.Test;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

class CliTest {
    /** A command shaped like the jobs: a shared mixin without defaults, its defaults and fallbacks declared by the command. */
    @Command(name = "sample", mixinStandardHelpOptions = true)
    static final class Sample implements Callable<Integer>, OptionDefaults.Declared {
        final Map<String, String> environment;

        @Mixin
        KafkaBrokers brokers = new KafkaBrokers();

        @Option(names = "--trigger-interval", converter = DurationConverter.class, description = "Trigger (default: ${DEFAULT-VALUE}).")
        Duration triggerInterval;

        @Option(names = "--workflow", description = "Workflow (else WORKFLOW).")
        String workflow;

        @Option(names = "--fail", description = "bad, failure, or wrapped")
        String fail;

        Sample(Map<String, String> environment) {
            this.environment = environment;
        }

        @Override
        public OptionDefaults optionDefaults() {
            return OptionDefaults.of("--trigger-interval", "500ms", "--workflow", "welcome").withEnvironment(environment, "--workflow", "WORKFLOW");
        }

        @Override
        public Integer call() {
            if ("bad".equals(fail)) {
                throw new BadFlagValue("--fail makes no sense here");
            }
            if ("failure".equals(fail)) {
                throw new CommandFailure("the table is missing\nsecond line");
            }
            if ("wrapped".equals(fail)) {
                throw new IllegalStateException(null, new RuntimeException("root cause"));
            }
            System.out.println(triggerInterval.toMillis() + " " + workflow + " " + brokers.bootstrapServers());
            return 0;
        }
    }

    record Run(int exitCode, String out, String err) {
    }

    static Run run(Sample command, String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Cli.commandLine(command, new PrintWriter(out, true), new PrintWriter(err, true)).execute(args);
        return new Run(code, out.toString(), err.toString());
    }

    @Test
    void theHelpShowsEachCommandsOwnDefaultsAsTheyAreWritten() {
        Run help = run(new Sample(Map.of()), "--help");
        assertEquals(0, help.exitCode());
        assertTrue(help.out().contains("Trigger (default: 500ms)"), help.out());
        assertTrue(help.out().contains("Kafka brokers (default: localhost:9092)"), help.out());
    }

    @Test
    void aFlagBeatsItsVariableWhichBeatsTheDefaultAndABlankVariableIsUnset() {
        Sample fromDefault = new Sample(Map.of("WORKFLOW", "  "));
        assertEquals(0, run(fromDefault, "--trigger-interval", "2s").exitCode());
        assertEquals(Duration.ofSeconds(2), fromDefault.triggerInterval);
        assertEquals("welcome", fromDefault.workflow);

        Sample fromVariable = new Sample(Map.of("WORKFLOW", "alerts"));
        assertEquals(0, run(fromVariable).exitCode());
        assertEquals("alerts", fromVariable.workflow);
        assertEquals(Duration.ofMillis(500), fromVariable.triggerInterval);

        Sample fromFlag = new Sample(Map.of("WORKFLOW", "alerts"));
        assertEquals(0, run(fromFlag, "--workflow", "digest").exitCode());
        assertEquals("digest", fromFlag.workflow);
    }

    @Test
    void badFlagsExitTwoWithOneLineThatPointsToTheHelp() {
        for (String[] args : new String[][] {{"--no-such-flag"}, {"--trigger-interval", "soon"}, {"--fail", "bad"}}) {
            Run bad = run(new Sample(Map.of()), args);
            assertEquals(Cli.BAD_FLAGS, bad.exitCode(), String.join(" ", args));
            assertEquals(1, bad.err().lines().count(), bad.err());
            assertTrue(bad.err().startsWith("sample: ") && bad.err().strip().endsWith("(see --help)"), bad.err());
        }
    }

    @Test
    void failuresExitOneWithTheFirstLineOfTheirMessageAndTheRootCause() {
        Run failure = run(new Sample(Map.of()), "--fail", "failure");
        assertEquals(Cli.FAILED, failure.exitCode());
        assertEquals("sample: the table is missing", failure.err().strip());

        Run wrapped = run(new Sample(Map.of()), "--fail", "wrapped");
        assertEquals(Cli.FAILED, wrapped.exitCode());
        assertEquals("sample: root cause", wrapped.err().strip());
    }

    @Test
    void defaultsComeInPairsOfLongOptionNames() {
        assertEquals("not a long option name: checkpoint",
                assertThrows(IllegalArgumentException.class, () -> OptionDefaults.of("checkpoint", "x")).getMessage());
    }
}
