package io.streamwatch.jobs.spikes;

import io.streamwatch.jobs.KafkaPushgatewayAndSparkTest;
import io.streamwatch.jobs.common.Jobs;
import io.streamwatch.jobs.common.SparkSessions;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.OptionalDouble;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The deployment spikes job in this JVM on a real broker, Delta tables and a real Pushgateway. */
class DeploymentSpikesTest extends KafkaPushgatewayAndSparkTest {
    static int topics;
    final ExecutorService background = Executors.newSingleThreadExecutor();
    String eventsTopic = "customer_events_" + (++topics);

    @AfterEach
    void stopBackground() {
        background.shutdownNow();
    }

    String events() {
        return dir.resolve("fct_customer_events").toString();
    }

    String table(String name) {
        return dir.resolve(name).toString();
    }

    Future<Integer> start(String window) {
        return start(window, checkpoint());
    }

    Future<Integer> start(String window, String checkpoint) {
        Future<Integer> job = background.submit(() -> Jobs.execute(new DeploymentSpikes(), "--bootstrap-servers", kafka.bootstrapServers(),
                "--topic", eventsTopic, "--checkpoint", checkpoint, "--events-path", events(), "--window", window,
                "--evaluate-every", "1s", "--trigger-interval", "500ms", "--pushgateway", pushgateway.address(), "--push-timeout", "5s"));
        await().atMost(Duration.ofSeconds(60)).until(() -> SparkSessions.activeQuery(spark(), DeploymentSpikes.QUERY_NAME).isPresent() || job.isDone());
        return job;
    }

    int stop(Future<Integer> job) throws Exception {
        SparkSessions.activeQuery(spark(), DeploymentSpikes.QUERY_NAME).orElseThrow().stop();
        return job.get(60, TimeUnit.SECONDS);
    }

    void send(int customer, String organization, long eventTs, int copies) {
        List<Map.Entry<String, String>> records = new ArrayList<>();
        for (int i = 0; i < copies; i++) {
            records.add(Map.entry(String.valueOf(customer), "{\"customer_id\": " + customer + ", \"customer_name\": \"C " + customer
                    + "\", \"deployment_type\": \"on_prem\", \"event_type\": \"deployment_created\", \"organization\": \""
                    + organization + "\", \"event_ts\": " + eventTs + "}"));
        }
        kafka.sendKeyed(eventsTopic, records);
    }

    static long now() {
        return System.currentTimeMillis() / 1000;
    }

    List<String> firing() {
        try {
            return spark().read().format("delta").load(table("organization_alert")).orderBy("labels").collectAsList().stream()
                    .map(row -> row.<String>getAs("alert_cond") + ":" + row.getAs("labels")).toList();
        } catch (Exception e) {
            return List.of("(not yet)");
        }
    }

    static OptionalDouble alert(String organization) {
        return pushgateway.value("organization_alert", Map.of("job", DeploymentSpikes.JOB, "organization", organization,
                "alert_name", "deployment_spike"));
    }

    @Test
    void aSpikeFiresForItsOrganizationOnly_theSteadyOnesNever_andItResolvesWhenTheWindowPassesWithoutNewEvents() throws Exception {
        kafka.createTopic(eventsTopic, 3);
        // 30 s: a run's first evaluation may take 20 s on 2 cores, and must still see the spike in its window.
        Future<Integer> job = start("30s");
        for (int organization = 0; organization < 4; organization++) {
            send(organization, "ABCD".substring(organization, organization + 1), now(), 5); // 5 is not above 5
        }
        send(7, "B", now(), 6); // B: 11 in the window
        long spikeAt = System.currentTimeMillis();
        await().atMost(Duration.ofSeconds(30)).until(() -> firing().equals(List.of("deployment_spike:B")));
        await().atMost(Duration.ofSeconds(10)).until(() -> alert("B").orElse(-1) == 1);
        assertEquals(List.of(0.0, 0.0, 0.0), List.of(alert("A").orElse(0), alert("C").orElse(0), alert("D").orElse(0)),
                "5 deployments in the window are not a spike");
        assertEquals(0, alert("A").orElse(0), "A is not firing (0, or gone once its events aged out)");
        await().atMost(Duration.ofSeconds(10)).until(() -> dimCount("B") == 11); // the spike may span two micro-batches
        Row b = spark().read().format("delta").load(table("dim_deployments")).where("organization = 'B'").first();
        assertEquals(2L, b.<Long>getAs("customer_cnt"));

        // No new event: the spike ages out of the 30 s window and the alert resolves.
        await().atMost(Duration.ofSeconds(60)).until(() -> firing().isEmpty());
        assertTrue(System.currentTimeMillis() - spikeAt >= 28_000, "not before the window passed");
        await().atMost(Duration.ofSeconds(10)).until(() -> alert("B").orElse(0) == 0);
        assertEquals(0, stop(job));
    }

    @Test
    void lateAndOutOfOrderEventsInsideTheWindowCount_olderOnesDoNot_malformedOnesAreQuarantined_andARestartOrACheckpointResetCountsEachOnce() throws Exception {
        kafka.createTopic(eventsTopic, 3);
        send(1, "C", now(), 2);
        send(2, "C", now() - 20, 2);       // late, within the 60 s window, after newer ones
        send(3, "C", now() - 600, 10);     // older than the window
        kafka.sendKeyed(eventsTopic, List.of(Map.entry("x", "not json"), Map.entry("x", "{\"customer_id\": \"1\"}"),
                Map.entry("x", "{\"customer_id\": 1, \"deployment_type\": \"cloud\", \"event_type\": \"deployment_created\", \"organization\": \"A\"}")));
        Future<Integer> job = start("60s");
        await().atMost(Duration.ofSeconds(60)).until(() -> rowsOrZero(events()) == 14 && rowsOrZero(events() + "_quarantine") == 3);
        await().atMost(Duration.ofSeconds(30)).until(() -> dimCount("C") == 4);
        assertEquals(List.of(), firing(), "4 in the window: no spike");
        assertEquals(0, stop(job));

        send(4, "C", now() - 5, 2);
        job = start("60s");
        await().atMost(Duration.ofSeconds(60)).until(() -> rowsOrZero(events()) == 16);
        await().atMost(Duration.ofSeconds(60)).until(() -> dimCount("C") == 6);
        await().atMost(Duration.ofSeconds(30)).until(() -> firing().equals(List.of("deployment_spike:C")));
        assertEquals(0, stop(job));
        assertEquals(16, rows(events()), "each event once across the restart");

        job = start("60s", checkpoint() + "-reset"); // a new checkpoint reads the topic again from earliest
        await().atMost(Duration.ofSeconds(60)).until(() -> SparkSessions.activeQuery(spark(), DeploymentSpikes.QUERY_NAME)
                .map(query -> java.util.Arrays.stream(query.recentProgress()).mapToLong(progress -> progress.numInputRows()).sum() == 19).orElse(false));
        assertEquals(0, stop(job));
        assertEquals(16, rows(events()), "each event once across a checkpoint reset");
        assertEquals(3, rows(events() + "_quarantine"));
        assertEquals(6, dimCount("C"));
        List<String> reasons = spark().read().format("delta").load(events() + "_quarantine").orderBy("offset").collectAsList().stream()
                .map(row -> row.<String>getAs("reason")).sorted().toList();
        assertEquals(List.of("field customer_id must be an integer, was a string", "missing required field event_ts", "not JSON"), reasons);
    }

    long rowsOrZero(String path) {
        try {
            return rows(path);
        } catch (Exception e) {
            return 0;
        }
    }

    long dimCount(String organization) {
        try {
            List<Row> rows = spark().read().format("delta").load(table("dim_deployments")).where("organization = '" + organization + "'").collectAsList();
            return rows.isEmpty() ? 0 : rows.get(0).<Long>getAs("deployment_cnt");
        } catch (Exception e) {
            return -1;
        }
    }

    @Test
    void theGeneratorSendsThePopulationThenSpikesOfOneCustomer() {
        run(new GenerateDeployments(), "--bootstrap-servers", kafka.bootstrapServers(), "--topic", eventsTopic, "--customers", "10",
                "--spike-every", "1s", "--spike-size", "5", "--count", "20", "--seed", "7");
        List<io.streamwatch.testkit.EmbeddedKafka.Record> records = kafka.read(eventsTopic);
        assertEquals(20, records.size());
        Map<String, Long> perCustomer = records.stream().collect(java.util.stream.Collectors.groupingBy(
                io.streamwatch.testkit.EmbeddedKafka.Record::key, java.util.stream.Collectors.counting()));
        assertEquals(10, perCustomer.size(), "ids 0..9: " + perCustomer.keySet());
        assertTrue(perCustomer.values().stream().mapToLong(Long::longValue).max().getAsLong() >= 6, "a spike of one customer: " + perCustomer);
        for (var record : records) {
            assertTrue(record.value().matches("\\{\"customer_id\":[0-9],\"customer_name\":\"[^\"]+ [^\"]+\",\"deployment_type\":\"(cloud|on_prem)\","
                    + "\"event_type\":\"deployment_created\",\"organization\":\"[ABCD]\",\"event_ts\":[0-9]{10}}"), record.value());
        }
        assertEquals(2, Jobs.execute(new GenerateDeployments(), "--count", "5", "--continuous"));
        assertEquals(2, Jobs.execute(new DeploymentSpikes(), "--window", "0s"));
    }
}
