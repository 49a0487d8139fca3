package io.streamwatch.demo;

import static io.streamwatch.demo.Demo.job;
import static io.streamwatch.demo.Demo.step;
import static io.streamwatch.demo.PushgatewayView.format;

import io.streamwatch.jobs.lag.ConsumeVisits;
import io.streamwatch.jobs.visits.CreateVisitsTable;
import io.streamwatch.jobs.common.SparkSessions;
import io.streamwatch.jobs.visits.VisitsTable;
import io.streamwatch.jobs.lag.WriteVisits;
import io.streamwatch.listeners.ReaderVersionListener;
import io.streamwatch.testkit.PrometheusText;
import java.nio.file.Path;
import java.util.Map;
import java.util.OptionalDouble;

/** The consumer-lag scenario: create, write, consume (lag 0), write again (lag 3), consume (lag 0). */
final class LagScenario {
    static final String ALERT = "VisitsConsumerLag";
    private final PushgatewayView pushgateway;
    private final AlertView alerts;
    private final String table;
    private final String checkpoint;

    LagScenario(Path dir, PushgatewayView pushgateway, AlertView alerts) {
        this.pushgateway = pushgateway;
        this.alerts = alerts;
        this.table = dir.resolve("visits").toString();
        this.checkpoint = dir.resolve("checkpoints/visits_consumer").toString();
    }

    void run() throws InterruptedException {
        String[] consume = {"--path", table, "--checkpoint", checkpoint, "--pushgateway", pushgateway.address()};
        String[] write = {"--path", table, "--pushgateway", pushgateway.address(), "--commits", "3"};

        step("1. Create the visits table at " + table);
        job(new CreateVisitsTable(), "--path", table, "--recreate");
        String tableLabel = VisitsTable.atPath(table).deltaLog(SparkSessions.getOrCreate("demo")).dataPath().toString();

        step("2. Write 3 commits of 3 visits (WriteVisits)");
        job(new WriteVisits(), write);
        report(tableLabel);

        step("3. Consume the table as a stream (ConsumeVisits, availableNow)");
        job(new ConsumeVisits(), consume);
        long caughtUp = System.currentTimeMillis();
        report(tableLabel);
        System.out.println("   alert " + ALERT + ": " + alerts.state(ALERT, caughtUp));

        step("4. Write 3 more commits while the consumer is stopped");
        job(new WriteVisits(), write);
        report(tableLabel);
        long behind = System.currentTimeMillis();
        System.out.println("   (the consumer's own lag gauges are as it left them when it stopped; writer - reader is the lag)");
        alerts.follow(ALERT, "Firing (Prometheus), active in Alertmanager, firing notification", behind, 60);

        step("5. Consume again: the consumer catches up");
        job(new ConsumeVisits(), consume);
        long caughtUpAgain = System.currentTimeMillis();
        report(tableLabel);
        alerts.follow(ALERT, "Resolved", caughtUpAgain, 60);
    }

    private void report(String tableLabel) {
        PrometheusText metrics = pushgateway.metrics();
        Map<String, String> ofTable = Map.of("table", tableLabel);
        OptionalDouble writer = metrics.value(WriteVisits.WRITER_VERSION, ofTable);
        OptionalDouble reader = metrics.value(ReaderVersionListener.READER_VERSION, ofTable);
        System.out.printf("   Pushgateway %s/metrics:%n", pushgateway.url());
        for (String metric : new String[] {WriteVisits.WRITER_VERSION, ReaderVersionListener.READER_VERSION,
            ReaderVersionListener.LAG_VERSIONS, ReaderVersionListener.LAG_SECONDS}) {
            System.out.printf("     %-28s %s%n", metric, format(metrics.value(metric, ofTable)));
        }
        if (writer.isPresent() && reader.isPresent()) {
            System.out.printf("   => lag (writer - reader): %s version(s)%n", format(OptionalDouble.of(writer.getAsDouble() - reader.getAsDouble())));
        }
    }
}
