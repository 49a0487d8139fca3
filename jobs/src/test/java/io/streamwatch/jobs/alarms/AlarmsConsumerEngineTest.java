package io.streamwatch.jobs.alarms;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.streamwatch.jobs.common.JobMetric;
import io.streamwatch.rules.Operator;
import io.streamwatch.rules.Rule;
import io.streamwatch.testkit.DashboardPanels;
import io.streamwatch.testkit.LocalPrometheus;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

/**
 * Every test of {@link AlarmsTest} with {@code --engine consumer}, the default: alarms, deliveries, quarantine,
 * restarts, checkpoint resets, kills and rule changes, read and matched by a consumer on the driver; and the engine's
 * own signals and their dashboard panel.
 */
class AlarmsConsumerEngineTest extends AlarmsTest {
    @Override
    String engine() {
        return Alarms.CONSUMER;
    }

    /**
     * Its lag and last poll are pushed while it runs, every second even when no metric comes; a graceful stop removes
     * them (so {@code AlarmsStalled} fires only for a job that hangs or died).
     */
    @Test
    void itsLagAndLastPollArePushedWhileItRuns_andAGracefulStopRemovesThem() throws Exception {
        long scenarioStart = System.currentTimeMillis();
        LocalPrometheus prometheus = LocalPrometheus.scraping(pushgateway.address(), dir.resolve("prometheus"));
        putRule(new Rule("g1", "gauge", 10, hook("gauge"), Operator.GREATER, 0, false));
        metrics("gauge", 5, 6, 7);
        Future<Integer> job = startAlarms();
        Map<String, String> series = Map.of("job", "streamwatch", "query", Alarms.QUERY_NAME);
        String lastPoll = JobMetric.ALARM_CONSUMER_LAST_POLL.metricName();
        await().atMost(Duration.ofSeconds(30)).until(() -> pushgateway.value(JobMetric.ALARM_CONSUMER_LAG.metricName(), series).orElse(-1) == 0);
        double first = await().atMost(Duration.ofSeconds(10)).until(() -> pushgateway.value(lastPoll, series).orElse(0), v -> v > 0);
        // No metric arrives: the last poll still moves on, within seconds of now.
        await().atMost(Duration.ofSeconds(10)).until(() -> pushgateway.value(lastPoll, series).orElse(0) >= first + 2
                && System.currentTimeMillis() / 1000.0 - pushgateway.value(lastPoll, series).orElse(0) < 5);
        try (prometheus) {
            DashboardPanels.assertHasData(prometheus, "Alarms: the consumer engine", scenarioStart);
        }
        assertEquals(0, stopAlarms(job));
        await().atMost(Duration.ofSeconds(20)).until(() -> pushgateway.value(lastPoll, series).isEmpty()
                && pushgateway.value(JobMetric.ALARM_CONSUMER_LAG.metricName(), series).isEmpty());
        assertEquals(1.0, pushgateway.value(JobMetric.ALARM_RULES.metricName(), series).orElse(0), "the job's other series stay");
    }
}
