package io.streamwatch.demo;

import io.streamwatch.jobs.ConsumeVisits;
import io.streamwatch.jobs.CreateVisitsTable;
import io.streamwatch.jobs.Jobs;
import io.streamwatch.jobs.VisitsTable;
import io.streamwatch.jobs.WriteVisits;
import io.streamwatch.listeners.ReaderVersionListener;
import io.streamwatch.jobs.SparkSessions;
import io.streamwatch.testkit.Http;
import io.streamwatch.testkit.LocalPushgateway;
import io.streamwatch.testkit.PrometheusText;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.OptionalDouble;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * The Quick start: the real jobs, one after the other in one local Spark, against a Pushgateway started from
 * Debian's package (or the one given), printing at each step what the Pushgateway holds.
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = "Runs a streamwatch scenario on embedded defaults: local Spark, a Delta table in a local folder, a local Pushgateway.")
public final class Demo implements Callable<Integer> {
    @Parameters(index = "0", defaultValue = "lag", description = "Scenario: lag (default: ${DEFAULT-VALUE}).")
    String scenario;

    @Option(names = "--pushgateway", paramLabel = "HOST:PORT", description = "Use this Pushgateway instead of starting one.")
    String pushgatewayAddress;

    @Option(names = "--work-dir", description = "Folder for the table, checkpoints and logs (default: a new temp folder).")
    Path workDir;

    private String pushgatewayUrl;
    private String table;
    private String tableLabel;

    public static void main(String[] args) {
        int exitCode = new CommandLine(new Demo()).execute(args);
        System.exit(exitCode);
    }

    @Override
    public Integer call() throws Exception {
        if (!scenario.equals("lag")) {
            throw new CommandLine.ParameterException(new CommandLine(this), "unknown scenario: " + scenario + " (lag)");
        }
        Path dir = workDir != null ? Files.createDirectories(workDir) : Files.createTempDirectory("streamwatch-demo");
        LocalPushgateway started = null;
        try {
            if (pushgatewayAddress == null) {
                started = LocalPushgateway.start(dir.resolve("pushgateway"));
                pushgatewayAddress = started.address();
                step("Started a Pushgateway at " + started.url() + " (Debian's prometheus-pushgateway)");
            }
            pushgatewayUrl = pushgatewayAddress.contains("://") ? pushgatewayAddress : "http://" + pushgatewayAddress;
            table = dir.resolve("visits").toString();
            lagScenario(dir);
            return 0;
        } finally {
            if (started != null) {
                started.close();
            }
        }
    }

    private void lagScenario(Path dir) {
        String checkpoint = dir.resolve("checkpoints/visits_consumer").toString();
        String[] consume = {"--path", table, "--checkpoint", checkpoint, "--pushgateway", pushgatewayAddress};
        String[] write = {"--path", table, "--pushgateway", pushgatewayAddress, "--commits", "3"};

        step("1. Create the visits table at " + table);
        job(new CreateVisitsTable(), "--path", table, "--recreate");
        tableLabel = VisitsTable.atPath(table).deltaLog(SparkSessions.getOrCreate("demo")).dataPath().toString();

        step("2. Write 3 commits of 3 visits (WriteVisits)");
        job(new WriteVisits(), write);
        report();

        step("3. Consume the table as a stream (ConsumeVisits, availableNow)");
        job(new ConsumeVisits(), consume);
        report();

        step("4. Write 3 more commits while the consumer is stopped");
        job(new WriteVisits(), write);
        report();
        System.out.println("   (the consumer's own lag gauges are as it left them when it stopped; writer - reader is the lag)");

        step("5. Consume again: the consumer catches up");
        job(new ConsumeVisits(), consume);
        report();
    }

    private static void job(Callable<Integer> job, String... args) {
        int exitCode = Jobs.execute(job, args);
        if (exitCode != 0) {
            throw new IllegalStateException(job.getClass().getSimpleName() + " failed with exit code " + exitCode);
        }
    }

    /** What the Pushgateway's own /metrics says now. */
    private void report() {
        PrometheusText metrics = new PrometheusText(Http.get(pushgatewayUrl + "/metrics")
                .orElseThrow(() -> new IllegalStateException("no answer from " + pushgatewayUrl + "/metrics")));
        Map<String, String> ofTable = Map.of("table", tableLabel);
        OptionalDouble writer = metrics.value(WriteVisits.WRITER_VERSION, ofTable);
        OptionalDouble reader = metrics.value(ReaderVersionListener.READER_VERSION, ofTable);
        System.out.printf("   Pushgateway %s/metrics:%n", pushgatewayUrl);
        System.out.printf("     %-28s %s%n", WriteVisits.WRITER_VERSION, format(writer));
        System.out.printf("     %-28s %s%n", ReaderVersionListener.READER_VERSION, format(reader));
        System.out.printf("     %-28s %s%n", ReaderVersionListener.LAG_VERSIONS, format(metrics.value(ReaderVersionListener.LAG_VERSIONS, ofTable)));
        System.out.printf("     %-28s %s%n", ReaderVersionListener.LAG_SECONDS, format(metrics.value(ReaderVersionListener.LAG_SECONDS, ofTable)));
        if (writer.isPresent() && reader.isPresent()) {
            System.out.printf("   => lag (writer - reader): %s version(s)%n", format(OptionalDouble.of(writer.getAsDouble() - reader.getAsDouble())));
        }
    }

    private static String format(OptionalDouble value) {
        if (value.isEmpty()) {
            return "(not pushed yet)";
        }
        double v = value.getAsDouble();
        return v == Math.rint(v) ? String.valueOf((long) v) : String.format("%.3f", v);
    }

    private static void step(String title) {
        System.out.println();
        System.out.println("== " + title);
    }
}
