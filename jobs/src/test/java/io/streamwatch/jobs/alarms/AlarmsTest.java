package io.streamwatch.jobs.alarms;

import io.streamwatch.cli.Cli;
import io.streamwatch.rules.KafkaTopics;
import io.streamwatch.rules.emulators.MetricEmulators;
import io.streamwatch.jobs.KafkaPushgatewayAndSparkTest;
import io.streamwatch.jobs.common.Jobs;
import io.streamwatch.jobs.common.SparkSessions;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.streamwatch.rules.Operator;
import io.streamwatch.rules.Rule;
import io.streamwatch.testkit.DashboardPanels;
import io.streamwatch.testkit.LocalPrometheus;
import io.streamwatch.testkit.WebhookReceiver;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The alarms job in this JVM on a real broker, Delta tables, a real Pushgateway, and a local HTTP peer speaking
 * Discord's webhook API (204, 429 with retry_after, 500, 404).
 */
abstract class AlarmsTest extends KafkaPushgatewayAndSparkTest {
    static int topics;
    final ExecutorService background = Executors.newSingleThreadExecutor();
    WebhookReceiver discord;
    String metricsTopic;
    String rulesTopic;

    @BeforeEach
    void peers() {
        discord = WebhookReceiver.discord();
        topics++;
        metricsTopic = "metrics_" + topics;
        rulesTopic = "rules_" + topics;
        KafkaTopics.ensureRules(kafka.bootstrapServers(), rulesTopic);
        KafkaTopics.ensureMetrics(kafka.bootstrapServers(), metricsTopic);
    }

    @AfterEach
    void closePeers() {
        background.shutdownNow();
        discord.close();
    }

    String hook(String name) {
        return discord.url("/api/webhooks/" + name + "/t0ken");
    }

    void putRule(Rule rule) {
        kafka.sendKeyed(rulesTopic, List.of(Map.entry(rule.id(), rule.toJson().toString())));
    }

    void deleteRule(String id) {
        kafka.sendKeyed(rulesTopic, List.of(new java.util.AbstractMap.SimpleEntry<>(id, null)));
    }

    void metrics(String name, double... values) {
        List<Map.Entry<String, String>> records = new ArrayList<>();
        for (double value : values) {
            records.add(Map.entry(name, "{\"value\": " + Rule.format(value) + "}"));
        }
        kafka.sendKeyed(metricsTopic, records);
    }

    String[] alarmsArgs() {
        return new String[] {"--bootstrap-servers", kafka.bootstrapServers(), "--metrics-topic", metricsTopic, "--rules-topic", rulesTopic,
            "--checkpoint", checkpoint(), "--alarms-path", alarmsPath(), "--allowed-webhook-prefixes", discord.url("/api/webhooks/"),
            "--pushgateway", pushgateway.address(), "--starting-offsets", "earliest", "--push-timeout", "5s", "--delivery-grace", "5s",
            "--engine", engine()};
    }

    /** The engine these tests run ({@link AlarmsConsumerEngineTest}, {@link AlarmsMicroBatchEngineTest}). */
    abstract String engine();

    /** Whether the job's query (a Spark query, or the consumer engine) is running in this JVM. */
    boolean running() {
        return SparkSessions.activeQuery(spark(), Alarms.QUERY_NAME).isPresent() || AlarmConsumer.running(Alarms.QUERY_NAME).isPresent();
    }

    Future<Integer> startAlarms() {
        return startAlarmsWith(alarmsArgs());
    }

    Future<Integer> startAlarmsWith(String... args) {
        Future<Integer> job = background.submit(() -> Jobs.execute(new Alarms(), args));
        await().atMost(Duration.ofSeconds(60)).until(() -> running() || job.isDone());
        return job;
    }

    int stopAlarms(Future<Integer> job) throws Exception {
        assertTrue(Alarms.stopRunning(Alarms.QUERY_NAME), "the job runs");
        return job.get(60, TimeUnit.SECONDS);
    }

    /** Publishes a value every 0.1 s with the seed's constant emulator. */
    void emulate(String metric, String value, int count) {
        assertEquals(0, Cli.execute(new MetricEmulators(), "constant", metric, value, "0.1",
                "--count", String.valueOf(count), "--bootstrap-servers", kafka.bootstrapServers(), "--topic", metricsTopic, "--quiet"));
    }

    /** The Kafka timestamps of the rule's alarms in the table. */
    List<Long> alarmTimes(String ruleId) {
        try {
            return spark().read().format("delta").load(alarmsPath()).where(org.apache.spark.sql.functions.col("rule_id").equalTo(ruleId))
                    .select("metric_timestamp").collectAsList().stream().map(r -> r.getTimestamp(0).getTime()).toList();
        } catch (Exception e) {
            return List.of();
        }
    }

    /** The Kafka timestamps of the metric's records with this value. */
    List<Long> metricTimes(String metric, String value) {
        return spark().read().format("kafka").option("kafka.bootstrap.servers", kafka.bootstrapServers()).option("subscribe", metricsTopic)
                .load().where(org.apache.spark.sql.functions.expr("CAST(key AS STRING) = '" + metric + "'")
                        .and(org.apache.spark.sql.functions.expr("CAST(value AS STRING)").equalTo("{\"value\": " + value + "}")))
                .select("timestamp").collectAsList().stream().map(r -> r.getTimestamp(0).getTime()).toList();
    }

    String alarmsPath() {
        return dir.resolve("alarms").toString();
    }

    List<JsonNode> embeds(String hookName) {
        return discord.accepted("/api/webhooks/" + hookName + "/t0ken").stream().map(d -> d.body().get("embeds").get(0)).toList();
    }

    List<String> descriptions(String hookName) {
        return embeds(hookName).stream().map(e -> e.get("description").asText()).toList();
    }

    @Test
    void rulesBeforeAndAfterStartFire_aDeletedRuleStops_malformedRecordsAreQuarantined_andARestartOrACheckpointResetRepeatsNothing() throws Exception {
        Rule packages = new Rule("a1", "packages-received", 500, hook("packages"), Operator.GREATER, 0, false);
        putRule(packages);
        metrics("packages-received", 501, 450, 550);
        Future<Integer> job = startAlarms();

        await().atMost(Duration.ofSeconds(30)).until(() -> embeds("packages").size() == 2);
        JsonNode embed = embeds("packages").get(0);
        assertEquals("Alarm triggered", embed.get("title").asText());
        assertEquals("packages-received is 501 which exceeds the rule threshold (500)", embed.get("description").asText());
        assertEquals(16711680, embed.get("color").asInt());
        assertEquals(List.of("Rule id", "Metric name", "Metric value", "Rule threshold"), embed.get("fields").findValuesAsText("name"));
        assertEquals(List.of("a1", "packages-received", "501", "500"), embed.get("fields").findValuesAsText("value"));
        assertEquals(List.of("packages-received is 501 which exceeds the rule threshold (500)",
                "packages-received is 550 which exceeds the rule threshold (500)"), descriptions("packages"));

        // A rule created while the job runs takes effect within 1 s: every value from a second after it alarms.
        Rule cpu = new Rule("b2", "cpu", 10, hook("cpu"), Operator.LESS, 0, false);
        putRule(cpu);
        long created = System.currentTimeMillis();
        emulate("cpu", "5", 20); // 2 s of values, one every 0.1 s
        await().atMost(Duration.ofSeconds(30)).until(() -> alarmTimes("b2").size() >= 10);
        assertTrue(alarmTimes("b2").size() >= 10, "at least the values of its second second");
        assertEquals(20, metricTimes("cpu", "5").size());
        await("every value produced a second after the rule alarmed").atMost(Duration.ofSeconds(30)).until(() -> {
            List<Long> alarmed = alarmTimes("b2");
            return metricTimes("cpu", "5").stream().filter(t -> t > created + 1000).allMatch(alarmed::contains);
        });
        assertEquals("cpu is 5 which is below the rule threshold (10)", descriptions("cpu").get(0));

        kafka.sendKeyed(metricsTopic, List.of(new java.util.AbstractMap.SimpleEntry<>(null, "{\"value\": 1}"),
                Map.entry("cpu", "not json"), Map.entry("cpu", "{\"value\": \"3\"}"), Map.entry("cpu", "{}")));
        // A deleted rule stops within 1 s: no value produced a second after the delete alarms.
        deleteRule(packages.id());
        long deleted = System.currentTimeMillis();
        emulate("packages-received", "999", 20);
        metrics("cpu", 1);
        await().atMost(Duration.ofSeconds(30)).until(() -> alarmTimes("b2").size() == 21);
        assertTrue(alarmTimes("a1").stream().allMatch(t -> t <= deleted + 1000), "no alarm a second after the delete");
        int packagesDelivered = embeds("packages").size();
        await().atMost(Duration.ofSeconds(30)).until(() -> rows(alarmsPath() + "_quarantine") == 4);
        List<String> reasons = spark().read().format("delta").load(alarmsPath() + "_quarantine").orderBy("offset")
                .collectAsList().stream().map(row -> row.<String>getAs("reason")).sorted().toList();
        assertEquals(List.of("\"value\" must be a JSON number, was string", "no \"value\" field", "no key: the key is the metric name"),
                reasons.stream().filter(r -> !r.startsWith("not JSON")).toList());
        assertTrue(reasons.stream().anyMatch(r -> r.startsWith("not JSON")));

        await().atMost(Duration.ofSeconds(30)).until(() -> descriptions("cpu").size() == 21);
        assertEquals(0, stopAlarms(job));
        metrics("cpu", 2);
        job = startAlarms();
        await().atMost(Duration.ofSeconds(30)).until(() -> descriptions("cpu").size() == 22);
        assertEquals(0, stopAlarms(job));

        List<Row> alarms = spark().read().format("delta").load(alarmsPath()).collectAsList();
        int packagesAlarms = alarmTimes("a1").size();
        assertEquals(packagesAlarms + 22, alarms.size(), "packages alarms + 22 cpu alarms, none twice");
        assertEquals(alarms.size(), alarms.stream().map(r -> r.getAs("rule_id") + "@" + r.getAs("partition") + ":" + r.getAs("offset")).distinct().count());
        assertEquals(packagesDelivered + 22, discord.deliveries().size(), "each alarm delivered once (a deleted rule's waiting ones dropped)");

        // A new checkpoint reads the whole topic again (earliest): only the record it has not seen alarms.
        metrics("cpu", 3);
        String[] reset = alarmsArgs();
        reset[java.util.Arrays.asList(reset).indexOf("--checkpoint") + 1] = checkpoint() + "-reset";
        job = startAlarmsWith(reset);
        await().atMost(Duration.ofSeconds(60)).until(() -> descriptions("cpu").size() == 23);
        assertEquals(0, stopAlarms(job));
        assertEquals(alarms.size() + 1, rows(alarmsPath()), "after a checkpoint reset: one new alarm, none again");
        assertEquals(4, rows(alarmsPath() + "_quarantine"));
        assertEquals(packagesDelivered + 23, discord.deliveries().size(), "nothing delivered again");
        assertEquals(20, kafka.admin().describeTopics(List.of(metricsTopic)).allTopicNames().get().get(metricsTopic).partitions().size());
        assertTrue(spark().sql("SELECT * FROM table_changes_by_path('" + alarmsPath() + "', 0)").count() >= 5, "change data feed on");
    }

    @Test
    void cooldownAndResolvedMessages_429Honoured_5xxRetried_aGoneWebhookIsLeftAlone() throws Exception {
        long scenarioStart = System.currentTimeMillis();
        LocalPrometheus prometheus = LocalPrometheus.scraping(pushgateway.address(), dir.resolve("prometheus"));
        putRule(new Rule("c3", "temp", 50, hook("calm"), Operator.GREATER, 600, true));
        putRule(new Rule("d4", "temp", 50, hook("every"), Operator.GREATER, 0, false));
        putRule(new Rule("e5", "temp", 50, hook("gone"), Operator.GREATER, 0, false));
        discord.replyAlways("/api/webhooks/gone/t0ken", WebhookReceiver.Reply.status(404));
        Future<Integer> job = startAlarms();

        metrics("temp", 60, 70, 40);
        await().atMost(Duration.ofSeconds(30)).until(() -> embeds("calm").size() == 2 && embeds("every").size() == 2);
        discord.replyNext(WebhookReceiver.Reply.rateLimited(1.5), WebhookReceiver.Reply.status(500));
        metrics("temp", 80, 45);
        await().atMost(Duration.ofSeconds(30)).until(() -> embeds("every").size() == 3);

        assertEquals(List.of("temp is 60 which exceeds the rule threshold (50)",
                "temp is 40: the rule threshold (> 50) is no longer met"), descriptions("calm"), "80 falls in the cooldown");
        assertEquals("Alarm resolved", embeds("calm").get(1).get("title").asText());
        assertEquals(65280, embeds("calm").get(1).get("color").asInt());
        assertEquals(List.of(60.0, 70.0, 80.0), embeds("every").stream()
                .map(e -> Double.parseDouble(e.get("fields").get(2).get("value").asText())).toList());

        List<WebhookReceiver.Delivery> all = discord.deliveries();
        WebhookReceiver.Delivery limited = all.stream().filter(d -> d.answered() == 429).findFirst().orElseThrow();
        WebhookReceiver.Delivery retry = all.stream().filter(d -> d.receivedAtMillis() > limited.receivedAtMillis()
                && d.path().equals(limited.path())).findFirst().orElseThrow();
        assertTrue(retry.receivedAtMillis() - limited.receivedAtMillis() >= 1400, "retry_after 1.5 s waited out");
        assertEquals(1, all.stream().filter(d -> d.answered() == 500).count());
        assertEquals(1, all.stream().filter(d -> d.path().contains("/gone/")).count(), "a 404 webhook is called once");

        await().atMost(Duration.ofSeconds(20)).until(() -> pushgateway.value("streamwatch_alarm_webhooks_gone",
                Map.of("job", "streamwatch", "query", Alarms.QUERY_NAME)).orElse(0) == 1);
        await().atMost(Duration.ofSeconds(20)).until(() -> pushgateway.value("streamwatch_alarm_deliveries_total",
                Map.of("job", "streamwatch", "query", Alarms.QUERY_NAME, "outcome", "delivered")).orElse(0) == 5.0);
        try (prometheus) {
            DashboardPanels.assertHasData(prometheus, "Alarms and their delivery", scenarioStart);
        }
        assertEquals(0, stopAlarms(job));
    }

    /** Each webhook is a lane of its own: one waiting out 429s holds only its own rules' alarms, never another's. */
    @Test
    void aRateLimitedWebhookDelaysOnlyItsOwnAlarms() throws Exception {
        putRule(new Rule("l1", "queue", 10, hook("limited"), Operator.GREATER, 0, false));
        putRule(new Rule("l2", "queue", 10, hook("free"), Operator.GREATER, 0, false));
        discord.replyAlways("/api/webhooks/limited/t0ken", WebhookReceiver.Reply.rateLimited(2));
        Future<Integer> job = startAlarms();
        metrics("queue", 11, 12, 13);
        await().atMost(Duration.ofSeconds(30)).until(() -> embeds("free").size() == 3);
        assertEquals(0, embeds("limited").size(), "the limited webhook still waits");
        assertTrue(discord.deliveries().stream().filter(d -> d.path().contains("/limited/")).allMatch(d -> d.answered() == 429));
        discord.clearReply("/api/webhooks/limited/t0ken");
        await().atMost(Duration.ofSeconds(30)).until(() -> embeds("limited").size() == 3);
        assertEquals(List.of("queue is 11 which exceeds the rule threshold (10)", "queue is 12 which exceeds the rule threshold (10)",
                "queue is 13 which exceeds the rule threshold (10)"), descriptions("limited"), "in order, once each");
        assertEquals(0, stopAlarms(job));
    }

    /**
     * SIGKILL at two exact moments, then at a random one under a steady flow of alarming metrics while the webhook answers
     * 503: right after a batch's alarms are written to the outbox (nothing of it delivered, recorded or passed by the
     * saved offsets), then, on the restart, right after the alarms table's commit holds them (the outbox not told yet,
     * nothing delivered). The last run delivers every alarm and the table holds each once; an alarm delivered twice is
     * one that was delivered in the moments before the random kill.
     */
    @Test
    void killedAtExactMomentsThenAtRandomUnderLoadTheJobLosesNoAlarm_recordsEachOnce_andRepeatsOnlyWhatWasInFlight() throws Exception {
        putRule(new Rule("o1", "flow", 10, hook("flow"), Operator.GREATER, 0, false));
        metrics("flow", 11, 12);
        for (String moment : List.of("outbox-written", "table-committed")) {
            String[] args = java.util.stream.Stream.concat(java.util.Arrays.stream(alarmsArgs()), java.util.stream.Stream.of("--halt-at", moment))
                    .toArray(String[]::new);
            try (io.streamwatch.testkit.ChildJvm alarms = io.streamwatch.testkit.ChildJvm.start(Alarms.class,
                    Map.of("spark.master", "local[2]", Jobs.FAULTS_SWITCH, "true"), dir.resolve("halt-" + moment + ".log"), args)) {
                await().atMost(Duration.ofMinutes(2)).until(() -> alarms.log().contains("halted at " + moment) || !alarms.isAlive());
                assertTrue(alarms.isAlive(), () -> alarms.logTail(30));
                alarms.kill();
                alarms.awaitExit(Duration.ofSeconds(30));
            }
            assertEquals(0, embeds("flow").size(), "killed before anything was delivered (" + moment + ")");
        }
        assertEquals(2, rows(alarmsPath()), "the table commit before the second kill holds both");

        killedAtRandomUnderLoad(1);
        assertEquals(List.of(11.0, 12.0), embeds("flow").stream().map(e -> Double.parseDouble(e.get("fields").get(2).get("value").asText()))
                .sorted().toList(), "each delivered once");
        List<Row> flow = spark().read().format("delta").load(alarmsPath()).where("rule_id = 'o1'").collectAsList();
        assertEquals(2, flow.stream().map(r -> r.getAs("partition") + ":" + r.getAs("offset")).distinct().count());
        assertEquals(2, flow.size(), "each recorded once");
    }

    /** Ten SIGKILLs at random under load ({@code -Dalarms.kills} sets another count), the last while the webhook answers 503. */
    @Tag("slow")
    @Test
    void killedTenTimesAtRandomUnderLoadTheJobLosesNoAlarm() throws Exception {
        killedAtRandomUnderLoad(Integer.getInteger("alarms.kills", 10));
    }

    private void killedAtRandomUnderLoad(int kills) throws Exception {
        putRule(new Rule("k6", "m", 0, hook("kill"), Operator.GREATER, 0, false));
        String path = "/api/webhooks/kill/t0ken";
        String[] args = alarmsArgs();
        java.util.Random random = new java.util.Random();
        java.util.concurrent.atomic.AtomicLong produced = new java.util.concurrent.atomic.AtomicLong();
        java.util.concurrent.atomic.AtomicBoolean producing = new java.util.concurrent.atomic.AtomicBoolean(true);
        Thread producer = new Thread(() -> {
            try (org.apache.kafka.clients.producer.KafkaProducer<String, String> metrics = new org.apache.kafka.clients.producer.KafkaProducer<>(
                    Map.of("bootstrap.servers", kafka.bootstrapServers(), "linger.ms", "0"), new org.apache.kafka.common.serialization.StringSerializer(),
                    new org.apache.kafka.common.serialization.StringSerializer())) {
                while (producing.get()) {
                    metrics.send(new org.apache.kafka.clients.producer.ProducerRecord<>(metricsTopic, "m", "{\"value\": " + produced.incrementAndGet() + "}")).get();
                    Thread.sleep(20); // the load: 50 alarming metrics a second
                }
            } catch (Exception e) {
                producing.set(false);
            }
        }, "metrics");
        producer.start();
        List<Long> killedAt = new ArrayList<>();
        try {
            for (int kill = 1; kill <= kills; kill++) {
                try (io.streamwatch.testkit.ChildJvm alarms = io.streamwatch.testkit.ChildJvm.start(Alarms.class, Map.of("spark.master", "local[2]"),
                        dir.resolve("alarms-" + kill + ".log"), args)) {
                    int before = discord.accepted(path).size();
                    await().atMost(Duration.ofMinutes(2)).until(() -> discord.accepted(path).size() >= before + 20 || !alarms.isAlive());
                    assertTrue(alarms.isAlive(), () -> alarms.logTail(30));
                    if (kill == kills) {
                        discord.replyAlways(path, WebhookReceiver.Reply.status(503));
                        await().atMost(Duration.ofSeconds(30)).until(() -> discord.deliveries().stream().anyMatch(d -> d.answered() == 503));
                    }
                    Thread.sleep(random.nextInt(2_000)); // a random moment: matching, writing the outbox, committing, delivering
                    killedAt.add(System.currentTimeMillis());
                    alarms.kill();
                    alarms.awaitExit(Duration.ofSeconds(30));
                }
                discord.clearReply(path);
            }
        } finally {
            producing.set(false);
            producer.join(10_000);
        }
        long total = produced.get();
        Future<Integer> last = startAlarmsWith(args);
        await().atMost(Duration.ofMinutes(2)).until(() -> delivered(path).size() == total);
        await().atMost(Duration.ofSeconds(60)).until(() -> spark().read().format("delta").load(alarmsPath()).where("rule_id = 'k6'").count() >= total);
        assertEquals(0, stopAlarms(last));

        List<Row> rows = spark().read().format("delta").load(alarmsPath()).where("rule_id = 'k6'").collectAsList();
        assertEquals(total, rows.size(), "every alarm in the table");
        assertEquals(total, rows.stream().map(r -> r.getAs("partition") + ":" + r.getAs("offset")).distinct().count(), "none twice");
        Map<Long, List<Long>> receipts = new java.util.TreeMap<>();
        for (WebhookReceiver.Delivery delivery : discord.accepted(path)) {
            receipts.computeIfAbsent((long) Double.parseDouble(delivery.body().get("embeds").get(0).get("fields").get(2).get("value").asText()),
                    v -> new ArrayList<>()).add(delivery.receivedAtMillis());
        }
        assertEquals(total, receipts.size(), "every alarm delivered");
        receipts.forEach((value, times) -> {
            if (times.size() > 1) {
                long first = times.get(0);
                // In flight at a kill: sent in the moments before it (a request on the wire may land just after the signal).
                assertTrue(killedAt.stream().anyMatch(k -> first <= k + 1_000 && first > k - 3_000),
                        "alarm " + value + " was delivered again though it was delivered " + times + ", not just before a kill " + killedAt);
            }
        });
    }

    /** The metric values delivered to this webhook, once each. */
    java.util.Set<Long> delivered(String path) {
        java.util.Set<Long> values = new java.util.HashSet<>();
        discord.accepted(path).forEach(d -> values.add((long) Double.parseDouble(d.body().get("embeds").get(0).get("fields").get(2).get("value").asText())));
        return values;
    }

    @Test
    void deliveryOutlivesAFailingProgressWriteAndATornProgressFileResendsOnlyWhatTheOutboxHolds() throws Exception {
        putRule(new Rule("p1", "pressure", 10, hook("pressure"), Operator.GREATER, 0, false));
        Future<Integer> job = startAlarms();
        metrics("pressure", 11);
        await().atMost(Duration.ofSeconds(30)).until(() -> descriptions("pressure").size() == 1);

        // The progress can no longer be written: a folder (not empty) where its file was.
        Path progressFile = Path.of(checkpoint(), "streamwatch-delivery", "progress.json");
        await().atMost(Duration.ofSeconds(10)).until(() -> {
            java.nio.file.Files.deleteIfExists(progressFile);
            java.nio.file.Files.createDirectories(progressFile.resolve("in-the-way"));
            return java.nio.file.Files.isDirectory(progressFile);
        });
        metrics("pressure", 12);
        metrics("pressure", 13);
        await().atMost(Duration.ofSeconds(30)).until(() -> descriptions("pressure").size() == 3 || job.isDone());
        Map<String, String> series = Map.of("job", "streamwatch", "query", Alarms.QUERY_NAME);
        await().atMost(Duration.ofSeconds(20)).until(() -> pushgateway.value("streamwatch_alarm_delivery_failing", series).orElse(0) == 1
                && pushgateway.value("streamwatch_alarm_delivery_errors_total", series).orElse(0) >= 1);

        org.apache.commons.io.FileUtils.deleteDirectory(progressFile.toFile());
        metrics("pressure", 14);
        await().atMost(Duration.ofSeconds(30)).until(() -> descriptions("pressure").size() == 4);
        await().atMost(Duration.ofSeconds(20)).until(() -> pushgateway.value("streamwatch_alarm_delivery_failing", series).orElse(1) == 0);
        assertEquals(0, stopAlarms(job));

        // A torn progress file: the restart re-sends what the outbox holds (nothing after a graceful stop), never the history.
        java.nio.file.Files.writeString(progressFile, "{\"query_id\": \"");
        Future<Integer> restarted = startAlarms();
        metrics("pressure", 15);
        await().atMost(Duration.ofSeconds(30)).until(() -> descriptions("pressure").stream().anyMatch(d -> d.contains("15")));
        List<Double> values = embeds("pressure").stream().map(e -> Double.parseDouble(e.get("fields").get(2).get("value").asText())).toList();
        assertEquals(List.of(11.0, 12.0, 13.0, 14.0, 15.0), values, "nothing sent again");
        assertEquals(0, stopAlarms(restarted));
    }

    @Tag("slow")
    @Test
    void aSigtermWaitsForTheDeliveryGraceBeyondTheDefaultDeadline() throws Exception {
        putRule(new Rule("s1", "voltage", 10, hook("voltage"), Operator.GREATER, 0, false));
        // The first attempt meets a 429 of 27 s: delivery needs longer than the 25 s a SIGTERM allowed by default.
        discord.replyNext(WebhookReceiver.Reply.rateLimited(27));
        String[] args = alarmsArgs();
        for (int i = 0; i < args.length; i++) {
            if (args[i].equals("--delivery-grace")) {
                args[i + 1] = "35s";
            }
        }
        try (io.streamwatch.testkit.ChildJvm alarms = io.streamwatch.testkit.ChildJvm.start(Alarms.class, Map.of("spark.master", "local[2]"),
                dir.resolve("alarms.log"), args)) {
            metrics("voltage", 11);
            await().atMost(Duration.ofSeconds(90)).until(() -> discord.deliveries().size() == 1);
            alarms.terminate();
            assertEquals(0, alarms.awaitExit(Duration.ofSeconds(90)), () -> alarms.logTail(30));
        }
        assertEquals(1, discord.accepted("/api/webhooks/voltage/t0ken").size(), "delivered within the grace, not cut at 25 s");
    }

    @Test
    void aRulesViewThatStopsFollowingItsTopicFailsTheJobWithTheReason() throws Exception {
        putRule(new Rule("d1", "disk", 90, hook("disk"), Operator.GREATER, 0, false));
        Future<Integer> job = startAlarms();
        metrics("disk", 95);
        await().atMost(Duration.ofSeconds(30)).until(() -> embeds("disk").size() == 1);

        kafka.admin().deleteTopics(List.of(rulesTopic)).all().get();
        long deleted = System.currentTimeMillis();
        int exit = await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(500)).until(() -> {
            metrics("disk", 96); // metrics keep coming: the next batch after the view stopped fails the query
            return job.isDone() ? job.get() : null;
        }, java.util.Objects::nonNull);
        assertEquals(1, exit, "a frozen rule set stops the job");
        assertTrue(System.currentTimeMillis() - deleted < 30_000, "within seconds of the delete");
    }

    @Test
    void badFlagsExit2BeforeAnythingStarts() {
        assertEquals(2, Jobs.execute(new Alarms(), "--starting-offsets", "middle"));
        assertEquals(2, Jobs.execute(new Alarms(), "--allowed-webhook-prefixes", "discord.com"));
        assertEquals(2, Jobs.execute(new Alarms(), "--metrics-topic", "a b"));
        assertEquals(2, Jobs.execute(new Alarms(), "--max-offsets-per-trigger", "0"));
        assertEquals(2, Jobs.execute(new Alarms(), "--trigger-interval", "soon"));
        assertEquals(2, Jobs.execute(new Alarms(), "--pushgateway", "htp://x"));
        assertEquals(2, Jobs.execute(new Alarms(), "--engine", "turbo"));
        String faults = System.clearProperty(Jobs.FAULTS_SWITCH);
        try {
            assertEquals(2, Jobs.execute(new Alarms(), "--halt-at", "outbox-written"), "a test aid needs the faults switch");
        } finally {
            if (faults != null) {
                System.setProperty(Jobs.FAULTS_SWITCH, faults);
            }
        }
        assertEquals(2, Jobs.execute(new Alarms(), "--halt-at", "lunch"));
    }
}
