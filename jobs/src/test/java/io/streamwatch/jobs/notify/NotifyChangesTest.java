package io.streamwatch.jobs.notify;

import io.streamwatch.cli.Cli;
import io.streamwatch.jobs.PushgatewayAndSparkTest;
import io.streamwatch.jobs.common.Jobs;
import io.streamwatch.jobs.common.SparkSessions;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.streamwatch.testkit.ChildJvm;
import io.streamwatch.testkit.DashboardPanels;
import io.streamwatch.testkit.LocalPrometheus;
import io.streamwatch.testkit.NovuReceiver;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The notification job on real Delta tables with their change data feed, a real Pushgateway, and a local HTTP peer
 * speaking Novu's trigger, bulk and cancel API (201, a status other than processed, 400, 429 with Retry-After,
 * 500, a hang). Each bug of the original container is a test here.
 */
class NotifyChangesTest extends PushgatewayAndSparkTest {
    static final String KEY = "nv-secret-4f9a2c7e81d3";
    final ExecutorService background = Executors.newSingleThreadExecutor();
    NovuReceiver novu;

    @BeforeEach
    void peer() {
        novu = new NovuReceiver(KEY);
    }

    @AfterEach
    void closePeer() {
        background.shutdownNow();
        novu.close();
    }

    String alerts() {
        return dir.resolve("alerts").toString();
    }

    void createAlerts() {
        spark().sql("CREATE TABLE delta.`" + alerts() + "` (auction_id BIGINT, item STRING, amount DOUBLE, recipients STRING) USING delta "
                + "TBLPROPERTIES ('delta.enableChangeDataFeed' = 'true')");
    }

    void sql(String statement) {
        spark().sql(statement.replace("ALERTS", "delta.`" + alerts() + "`"));
    }

    Map<String, String> env(String... more) {
        Map<String, String> env = new HashMap<>(Map.of("NOVU_API_KEY", KEY, "NOVU_WORKFLOW_NAME", "expensive-pizza", "NOVU_RECIPIENTS", "alice,bob",
                "NOVU_URL", novu.url(), "ALERT_TABLE", alerts(), "ALERT_PAYLOAD", "auction_id,item,amount"));
        for (int i = 0; i < more.length; i += 2) {
            if (more[i + 1] == null) {
                env.remove(more[i]);
            } else {
                env.put(more[i], more[i + 1]);
            }
        }
        return env;
    }

    String[] args(String... more) {
        return argsWith(checkpoint(), more);
    }

    String[] argsWith(String checkpoint, String... more) {
        return concat(new String[] {"--checkpoint", checkpoint, "--pushgateway", pushgateway.address(), "--push-timeout", "5s",
            "--trigger-interval", "200ms"}, more);
    }

    Future<Integer> start(Map<String, String> env, String... args) {
        Future<Integer> job = background.submit(() -> Jobs.execute(new NotifyChanges(env), args));
        await().atMost(Duration.ofSeconds(60)).until(() -> SparkSessions.activeQuery(spark(), NotifyChanges.QUERY_NAME).isPresent() || job.isDone());
        return job;
    }

    int stop(Future<Integer> job) throws Exception {
        SparkSessions.activeQuery(spark(), NotifyChanges.QUERY_NAME).ifPresent(SparkSessions::stop);
        return job.get(60, TimeUnit.SECONDS);
    }

    /** The triggers Novu processed for this auction, in order. */
    List<NovuReceiver.Trigger> triggersOf(long auctionId) {
        return novu.triggers().stream().filter(t -> t.payload().path("auction_id").asLong() == auctionId).toList();
    }

    List<NovuReceiver.Request> requestsFor(String transactionId) {
        return novu.requests().stream().filter(r -> r.path().endsWith("/trigger") && r.body() != null
                && transactionId.equals(r.body().path("transactionId").asText())).toList();
    }

    List<Row> deadLetters() {
        try {
            return spark().read().format("delta").load(checkpoint() + "_dead_letter").orderBy("commit_version").collectAsList();
        } catch (Exception e) {
            return List.of();
        }
    }

    @Test
    void insertsTriggerOnce_retractionsCancelNeverRetrigger_failuresAreDeadLettered_429And500Retried_bulkForMany() throws Exception {
        createAlerts();
        sql("INSERT INTO ALERTS VALUES (1, 'pizza', 95.0, null)");
        Future<Integer> job = start(env("SEND_RETRACTIONS", "true"), args());

        sql("INSERT INTO ALERTS VALUES (2, 'pizza', 91.0, null), (3, 'pizza', 99.5, null)");
        await().atMost(Duration.ofSeconds(30)).until(() -> novu.triggers().size() == 2);
        NovuReceiver.Trigger second = triggersOf(2).get(0);
        assertEquals("expensive-pizza", second.workflow());
        assertEquals(List.of("alice", "bob"), second.subscriberIds(), "NOVU_RECIPIENTS, each id a subscriber");
        assertEquals("{\"auction_id\":2,\"item\":\"pizza\",\"amount\":91.0}", second.payload().toString());
        NovuReceiver.Request request = requestsFor(second.transactionId()).get(0);
        assertEquals("ApiKey " + KEY, request.headers().get("authorization"));
        assertEquals(second.transactionId(), request.headers().get("idempotency-key"));
        assertTrue(request.headers().get("content-type").startsWith("application/json"));
        assertTrue(triggersOf(1).isEmpty(), "latest: what was committed before the start is not notified");

        // The original derived the transaction id from the values: Novu dropped a later alert with the same values.
        sql("INSERT INTO ALERTS VALUES (2, 'pizza', 91.0, null)");
        await().atMost(Duration.ofSeconds(30)).until(() -> triggersOf(2).size() == 2);
        assertNotEquals(triggersOf(2).get(0).transactionId(), triggersOf(2).get(1).transactionId());

        // A retraction cancels the trigger by its transaction id and never triggers again (the original did both).
        String third = triggersOf(3).get(0).transactionId();
        sql("DELETE FROM ALERTS WHERE auction_id = 3");
        await().atMost(Duration.ofSeconds(30)).until(() -> novu.cancels().contains(third));
        sql("UPDATE ALERTS SET amount = 96.0 WHERE auction_id = 1");
        await().atMost(Duration.ofSeconds(30)).until(() -> triggersOf(1).size() == 1);
        assertEquals(96.0, triggersOf(1).get(0).payload().path("amount").asDouble(), "the update's post-image triggers");
        assertEquals(List.of(third), novu.cancels(), "the pre-image of a row never triggered cancels nothing");
        assertEquals(1, triggersOf(3).size());

        // Novu's 201 with another status, and a 400, are dead letters with the reason; delivery goes on.
        novu.replyNext(NovuReceiver.Reply.triggerStatus("trigger_not_active"));
        sql("INSERT INTO ALERTS VALUES (4, 'pizza', 92.0, null)");
        await().atMost(Duration.ofSeconds(30)).until(() -> deadLetters().size() == 1);
        novu.replyNext(NovuReceiver.Reply.status(400));
        sql("INSERT INTO ALERTS VALUES (5, 'pizza', 93.0, null)");
        await().atMost(Duration.ofSeconds(30)).until(() -> deadLetters().size() == 2);
        assertTrue(deadLetters().get(0).<String>getAs("reason").contains("trigger_not_active"), deadLetters().get(0).toString());
        assertTrue(deadLetters().get(1).<String>getAs("reason").startsWith("HTTP 400"), deadLetters().get(1).toString());
        assertEquals("{\"auction_id\":5,\"item\":\"pizza\",\"amount\":93.0}", deadLetters().get(1).<String>getAs("payload"));

        // 429 waits its Retry-After, 500 is retried: delivered once, in the end.
        novu.replyNext(NovuReceiver.Reply.rateLimited(1), NovuReceiver.Reply.status(500));
        sql("INSERT INTO ALERTS VALUES (6, 'pizza', 94.0, null)");
        await().atMost(Duration.ofSeconds(30)).until(() -> triggersOf(6).size() == 1);
        List<NovuReceiver.Request> attempts = requestsFor(triggersOf(6).get(0).transactionId());
        assertEquals(List.of(429, 500, 201), attempts.stream().map(NovuReceiver.Request::answered).toList());
        assertTrue(attempts.get(1).receivedAtMillis() - attempts.get(0).receivedAtMillis() >= 950, "Retry-After: 1 honoured");

        // Many changes at once go by the bulk endpoint, 100 events at most per request.
        sql("INSERT INTO ALERTS SELECT id, 'art', 1.0, null FROM range(100, 250) AS t(id)");
        await().atMost(Duration.ofSeconds(30)).until(() -> novu.triggers().size() == 2 + 1 + 1 + 1 + 150);
        List<Integer> bulkSizes = novu.requests().stream().filter(r -> r.path().endsWith("/bulk")).map(r -> r.body().path("events").size()).toList();
        assertEquals(List.of(100, 50), bulkSizes);
        awaitValue("streamwatch_notifications_total", Map.of("job", "streamwatch", "query", NotifyChanges.QUERY_NAME, "outcome", "failed"));
        assertEquals(0, stop(job));

        // A restart sends nothing again.
        int requests = novu.requests().size();
        Future<Integer> restarted = start(env("SEND_RETRACTIONS", "true"), args());
        sql("DELETE FROM ALERTS WHERE auction_id = 2 AND amount = 91.0");
        await().atMost(Duration.ofSeconds(30)).until(() -> novu.cancels().size() == 3);
        assertEquals(0, stop(restarted));
        assertEquals(Set.copyOf(triggersOf(2).stream().map(NovuReceiver.Trigger::transactionId).toList()), Set.copyOf(novu.cancels().subList(1, 3)),
                "after a restart, the deliveries table tells which triggers to cancel");
        assertEquals(requests + 2, novu.requests().size(), "the restart repeated nothing");
        assertEquals(novu.triggers().size(), novu.triggers().stream().map(NovuReceiver.Trigger::transactionId).distinct().count());
    }

    @Tag("slow")
    @Test
    void sigtermMidBatchResendsNothing_sigkillsLoseNothing_andTheKeyIsInNoLog() throws Exception {
        createAlerts();
        for (int commit = 0; commit < 6; commit++) {
            sql("INSERT INTO ALERTS SELECT id, 'item', 1.0, null FROM range(" + commit * 40 + ", " + (commit + 1) * 40 + ") AS t(id)");
        }
        novu.delay(Duration.ofMillis(25));
        String[] args = args("--starting-version", "0", "--bulk-from", "1000");
        Map<String, String> env = env("SEND_RETRACTIONS", "false");
        ChildJvm first = ChildJvm.start(NotifyChanges.class, Map.of("spark.master", "local[2]"), env, dir.resolve("notify-1.log"), args);
        await().atMost(Duration.ofSeconds(90)).until(() -> novu.triggers().size() >= 30);
        first.terminate();
        assertEquals(0, first.awaitExit(Duration.ofSeconds(60)), first.logTail(30));
        assertTrue(novu.triggers().size() < 240, "stopped mid-delivery");
        Map<String, Long> postsBefore = successfulPosts();

        ChildJvm second = ChildJvm.start(NotifyChanges.class, Map.of("spark.master", "local[2]"), env, dir.resolve("notify-2.log"), args);
        await().atMost(Duration.ofSeconds(90)).until(() -> novu.triggers().size() >= postsBefore.size() + 30);
        assertTrue(successfulPosts().values().stream().allMatch(count -> count == 1), "after a graceful stop nothing acknowledged is sent again");
        second.kill();
        int afterFirstKill = novu.triggers().size();
        ChildJvm third = ChildJvm.start(NotifyChanges.class, Map.of("spark.master", "local[2]"), env, dir.resolve("notify-3.log"), args);
        await().atMost(Duration.ofSeconds(90)).until(() -> novu.triggers().size() >= afterFirstKill + 30);
        third.kill();
        Future<Integer> last = start(env, args);
        await().atMost(Duration.ofSeconds(120)).until(() -> novu.triggers().size() >= 240);
        assertEquals(0, stop(last));

        assertEquals(IntStream.range(0, 240).boxed().collect(Collectors.toSet()),
                novu.triggers().stream().map(t -> t.payload().path("auction_id").asInt()).collect(Collectors.toSet()), "every change delivered");
        assertEquals(240, novu.triggers().size(), "each change under one transaction id: Novu saw 240 distinct ones");
        Map<String, List<JsonNode>> bodies = novu.requests().stream().filter(r -> r.path().equals("/v1/events/trigger"))
                .collect(Collectors.groupingBy(r -> r.body().path("transactionId").asText(), Collectors.mapping(NovuReceiver.Request::body, Collectors.toList())));
        assertTrue(bodies.values().stream().allMatch(sent -> sent.stream().distinct().count() == 1), "a change sent twice is the same request");
        for (String log : List.of("notify-1.log", "notify-2.log", "notify-3.log")) {
            assertFalse(Files.readString(dir.resolve(log)).contains(KEY), log + " shows the API key");
        }
    }

    /** Successful trigger posts per transaction id. */
    Map<String, Long> successfulPosts() {
        return novu.requests().stream().filter(r -> r.path().equals("/v1/events/trigger") && r.answered() == 201)
                .collect(Collectors.groupingBy(r -> r.body().path("transactionId").asText(), Collectors.counting()));
    }

    @Test
    void recipientsFromAColumn_testModeSendsNothing_aVersionToStartFrom_andTheWatchdogFires() throws Exception {
        createAlerts();
        sql("INSERT INTO ALERTS VALUES (1, 'pizza', 95.0, 'carol, dave'), (2, 'pizza', 96.0, null)");
        sql("INSERT INTO ALERTS VALUES (3, 'pizza', 97.0, 'erin')");

        Future<Integer> testMode = start(env("NOVU_API_KEY", null, "TEST_MODE", "True", "NOVU_RECIPIENTS", null, "RECIPIENTS_IN_PAYLOAD", "recipients"),
                argsWith(dir.resolve("test-mode").toString(), "--starting-version", "2"));
        await().atMost(Duration.ofSeconds(30)).until(() -> rows(dir.resolve("test-mode") + "_deliveries") == 1);
        assertEquals(0, stop(testMode));
        assertTrue(novu.requests().isEmpty(), "TEST_MODE sends nothing");

        // RECIPIENTS_IN_PAYLOAD=False means none (the original took "False" for a column and crash-looped).
        long scenarioStart = System.currentTimeMillis();
        LocalPrometheus prometheus = LocalPrometheus.scraping(pushgateway.address(), dir.resolve("prometheus"));
        Future<Integer> job = start(env("NOVU_RECIPIENTS", null, "RECIPIENTS_IN_PAYLOAD", "recipients", "PROGRESS_TIMEOUT_MINUTES", "0.05"),
                args("--starting-version", "0", "--request-timeout", "20s"));
        await().atMost(Duration.ofSeconds(30)).until(() -> novu.triggers().size() == 2 && deadLetters().size() == 1);
        assertEquals(List.of("carol", "dave"), triggersOf(1).get(0).subscriberIds());
        assertEquals(List.of("erin"), triggersOf(3).get(0).subscriberIds());
        assertEquals("no recipients in the row", deadLetters().get(0).<String>getAs("reason"));

        // A batch stuck on a Novu that does not answer: the watchdog says so within the timeout (3 s), and again when it moves.
        Map<String, String> stalled = Map.of("job", "streamwatch", "query", NotifyChanges.QUERY_NAME);
        novu.replyNext(NovuReceiver.Reply.hang(Duration.ofSeconds(9)));
        sql("INSERT INTO ALERTS VALUES (4, 'pizza', 98.0, 'frank')");
        await().atMost(Duration.ofSeconds(8)).until(() -> pushgateway.value("streamwatch_notify_stalled", stalled).orElse(0) == 1);
        await().atMost(Duration.ofSeconds(30)).until(() -> triggersOf(4).size() == 1
                && pushgateway.value("streamwatch_notify_stalled", stalled).orElse(1) == 0);

        // SEND_RETRACTIONS unset: a delete cancels nothing (the original's check was never true, and when it was, it re-triggered).
        sql("DELETE FROM ALERTS WHERE auction_id = 1");
        sql("INSERT INTO ALERTS VALUES (5, 'pizza', 99.0, 'grace')");
        await().atMost(Duration.ofSeconds(30)).until(() -> triggersOf(5).size() == 1);
        assertTrue(novu.cancels().isEmpty(), "no cancel without SEND_RETRACTIONS");
        assertEquals(1, triggersOf(1).size(), "and no new trigger for the deleted row");
        try (prometheus) {
            DashboardPanels.assertHasData(prometheus, "Notifications to Novu (NotifyChanges)", scenarioStart);
        }
        assertEquals(0, stop(job));
    }

    long rows(String path) {
        try {
            return spark().read().format("delta").load(path).count();
        } catch (Exception e) {
            return -1;
        }
    }

    @Test
    void missingOrContradictorySettingsAreOneLineAndExit2_andNeverShowTheKey() throws Exception {
        createAlerts();
        assertBad(env("NOVU_API_KEY", null), "no Novu API key");
        assertBad(env("NOVU_WORKFLOW_NAME", null), "no workflow");
        assertBad(env("NOVU_RECIPIENTS", null), "no recipients");
        assertBad(env("NOVU_RECIPIENTS", " "), "no recipients");
        assertBad(env("NOVU_RECIPIENTS", "alice,,bob"), "empty subscriber id");
        assertBad(env("RECIPIENTS_IN_PAYLOAD", "recipients"), "not both");
        assertBad(env("SEND_RETRACTIONS", "maybe"), "SEND_RETRACTIONS");
        assertBad(env("PROGRESS_TIMEOUT_MINUTES", "0"), "PROGRESS_TIMEOUT_MINUTES");
        assertBad(env("PROGRESS_TIMEOUT_MINUTES", "ten"), "PROGRESS_TIMEOUT_MINUTES");
        assertBad(env("LOG_LEVEL", "LOUD"), "LOG_LEVEL");
        assertBad(env("NOVU_URL", "api.novu.co"), "NOVU_URL");
        assertBad(env("NOVU_URL", "https://user:" + KEY + "@api.novu.co"), "NOVU_URL");
        assertBad(env("ALERT_TABLE", null), "no table");
        assertBad(env(), "--starting-version", "--starting-version", "yesterday");
        assertBad(env("ALERT_PAYLOAD", "item,price"), "price is not a column");
        assertBad(env("NOVU_RECIPIENTS", null, "RECIPIENTS_IN_PAYLOAD", "to"), "to is not a column");
        assertBad(env("ALERT_TABLE", dir.resolve("nothing").toString()), "not a Delta table");
        spark().sql("CREATE TABLE delta.`" + dir.resolve("plain") + "` (item STRING) USING delta");
        assertBad(env("ALERT_TABLE", dir.resolve("plain").toString(), "ALERT_PAYLOAD", "item"), "no change data feed");
        NotifyChanges command = new NotifyChanges(env("RECIPIENTS_IN_PAYLOAD", "False"));
        Cli.commandLine(command, new PrintWriter(new StringWriter()), new PrintWriter(new StringWriter())).parseArgs();
        assertEquals(List.of("alice", "bob"), command.settings().recipients(), "RECIPIENTS_IN_PAYLOAD=False is no column");
    }

    void assertBad(Map<String, String> env, String expected, String... args) {
        StringWriter err = new StringWriter();
        int exitCode = Cli.commandLine(new NotifyChanges(env), new PrintWriter(new StringWriter()), new PrintWriter(err, true))
                .execute(args(args));
        assertEquals(2, exitCode, err.toString());
        assertEquals(1, err.toString().lines().count(), err.toString());
        assertTrue(err.toString().contains(expected), err.toString());
        assertFalse(err.toString().contains(KEY), err.toString());
    }
}
