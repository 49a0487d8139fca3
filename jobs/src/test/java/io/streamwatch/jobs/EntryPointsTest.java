package io.streamwatch.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.streamwatch.cli.Cli;
import io.streamwatch.jobs.alarms.Alarms;
import io.streamwatch.jobs.lag.ConsumeVisits;
import io.streamwatch.jobs.lag.ReadVisits;
import io.streamwatch.jobs.lag.WriteVisits;
import io.streamwatch.jobs.notify.NotifyChanges;
import io.streamwatch.jobs.sla.GenerateVisits;
import io.streamwatch.jobs.sla.SyncVisitsToDelta;
import io.streamwatch.jobs.spikes.DeploymentSpikes;
import io.streamwatch.jobs.spikes.GenerateDeployments;
import io.streamwatch.jobs.visits.CreateVisitsTable;
import io.streamwatch.rules.api.RulesService;
import io.streamwatch.rules.emulators.MetricEmulators;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** Every entry point of every module keeps the one command-line contract, and shows each default as it is written. */
class EntryPointsTest {
    static final List<Callable<Integer>> COMMANDS = List.of(new CreateVisitsTable(), new WriteVisits(), new ReadVisits(), new ConsumeVisits(),
            new GenerateVisits(), new SyncVisitsToDelta(), new Alarms(), new DeploymentSpikes(), new GenerateDeployments(),
            new NotifyChanges(Map.of()), new RulesService(), new MetricEmulators());
    static final Pattern MAIN = Pattern.compile("static void main\\(String\\[\\] args\\)\\s*\\{\\s*([^;]*);");

    @Test
    void everyHelpShowsAValueForEveryDefaultItMentions() {
        for (Callable<Integer> command : COMMANDS) {
            StringWriter out = new StringWriter();
            StringWriter err = new StringWriter();
            int code = Cli.commandLine(command, new PrintWriter(out, true), new PrintWriter(err, true)).execute("--help");
            String help = out.toString();
            String name = command.getClass().getSimpleName();
            assertEquals(0, code, name + ": " + err);
            assertTrue(!help.contains("default: null") && !help.contains("default: )"), name + " has an option without its default:\n" + help);
            assertTrue(!Pattern.compile("default: PT\\d").matcher(help).find(), name + " shows a duration as Java prints it:\n" + help);
        }
    }

    @Test
    void everyStreamingJobDeclaresItsQueryDefaults() {
        for (Callable<Integer> command : COMMANDS) {
            StringWriter out = new StringWriter();
            Cli.commandLine(command, new PrintWriter(out, true), new PrintWriter(new StringWriter(), true)).execute("--help");
            if (out.toString().contains("--checkpoint")) {
                for (String option : List.of("--checkpoint", "--trigger-interval", "--query-name", "--heartbeat-interval")) {
                    assertTrue(out.toString().contains(option), command.getClass().getSimpleName() + " lacks " + option);
                }
            }
        }
    }

    @Test
    void everyMainRunsUnderTheContract() throws IOException {
        List<String> mains = new ArrayList<>();
        List<String> outside = new ArrayList<>();
        for (String module : List.of(".", "../rules", "../demo", "../alerting")) {
            try (Stream<Path> files = Files.walk(Path.of(module, "src/main/java"))) {
                for (Path file : files.filter(f -> f.toString().endsWith(".java")).toList()) {
                    Matcher main = MAIN.matcher(Files.readString(file));
                    while (main.find()) {
                        mains.add(file.getFileName().toString());
                        if (!main.group(1).matches("(Jobs|Cli)\\.main\\(.*")) {
                            outside.add(file + ": " + main.group(1));
                        }
                    }
                }
            }
        }
        assertTrue(mains.size() >= COMMANDS.size(), "found the entry points: " + mains);
        assertEquals(List.of(), outside);
    }
}
