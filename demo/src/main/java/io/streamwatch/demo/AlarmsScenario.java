package io.streamwatch.demo;

import static io.streamwatch.demo.Demo.step;

import io.streamwatch.jobs.alarms.Alarms;
import io.streamwatch.jobs.common.Jobs;
import io.streamwatch.jobs.common.SparkSessions;
import io.streamwatch.jobs.notify.NotifyChanges;
import io.streamwatch.cli.Cli;
import io.streamwatch.rules.api.ApiToken;
import io.streamwatch.rules.api.RulesService;
import io.streamwatch.rules.emulators.MetricEmulators;
import io.streamwatch.testkit.ChildJvm;
import io.streamwatch.testkit.FreePorts;
import io.streamwatch.testkit.Http;
import io.streamwatch.testkit.NovuReceiver;
import io.streamwatch.testkit.WebhookReceiver;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

/**
 * The alarms scenario: the rules API, a rule created with curl, the stairs emulator publishing metrics, the Spark
 * alarms job delivering each alarm to a local Discord-compatible receiver, then the rule deleted with curl and
 * the alarms stopping. The notify scenario adds the notification job on the alarms table's change data feed,
 * delivering each alarm to a local Novu-compatible receiver that prints it, and a retraction cancelling triggers.
 */
final class AlarmsScenario {
    private static final String METRIC = "packages-received";
    private final Path dir;
    private final String bootstrapServers;
    private final String pushgateway;
    private final boolean notify;

    AlarmsScenario(Path dir, String bootstrapServers, String pushgateway, boolean notify) {
        this.dir = dir;
        this.bootstrapServers = bootstrapServers;
        this.pushgateway = pushgateway;
        this.notify = notify;
    }

    void run() throws Exception {
        String token = UUID.randomUUID().toString();
        ExecutorService background = Executors.newFixedThreadPool(3);
        int port = FreePorts.next();
        String novuKey = UUID.randomUUID().toString();
        try (WebhookReceiver discord = WebhookReceiver.discord(); NovuReceiver novu = new NovuReceiver(novuKey);
             ChildJvm api = ChildJvm.start(rulesJar(), RulesService.class.getName(), Map.of(ApiToken.ENVIRONMENT_VARIABLE, token),
                     dir.resolve("rules-service.log"), "--port", String.valueOf(port), "--host", "127.0.0.1",
                     "--bootstrap-servers", bootstrapServers, "--allowed-webhook-prefixes", discord.url("/api/webhooks/"))) {
            String rulesUrl = "http://127.0.0.1:" + port + "/rules";
            String webhook = discord.url("/api/webhooks/15434354352132/demo-token");
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (Http.get("http://127.0.0.1:" + port + "/healthz").isEmpty()) {
                if (!api.isAlive() || System.nanoTime() > deadline) {
                    throw new IllegalStateException("the rules service did not start:\n" + api.logTail(20));
                }
                Thread.sleep(200);
            }
            step("1. Started the rules service (RulesService, its own JVM) at " + rulesUrl + " (page: http://127.0.0.1:" + port
                    + "/), writes need the token " + token + "; a local Discord-compatible receiver at " + discord.url("/api/webhooks/"));

            step("2. Create a rule with curl: alarm when " + METRIC + " > 500");
            String created = curl("-sS", "-X", "POST", rulesUrl, "-H", "Authorization: Bearer " + token,
                    "-H", "Content-Type: application/json",
                    "-d", "{\"metric_name\": \"" + METRIC + "\", \"threshold\": 500, \"discord_webhook_url\": \"" + webhook + "\"}");
            String ruleId = created.replaceAll("(?s).*\"id\":\"([^\"]+)\".*", "$1");

            step("3. Start the alarms job and the stairs emulator (MetricEmulators stairs " + METRIC + " 480 510 5 0.5)");
            Future<Integer> alarms = background.submit(() -> Jobs.execute(new Alarms(), "--bootstrap-servers", bootstrapServers,
                    "--checkpoint", dir.resolve("checkpoints/alarms").toString(), "--alarms-path", dir.resolve("alarms").toString(),
                    "--allowed-webhook-prefixes", discord.url("/api/webhooks/"), "--pushgateway", pushgateway,
                    "--starting-offsets", "earliest"));
            Future<Integer> stairs = background.submit(() -> Cli.execute(new MetricEmulators(), "stairs", METRIC, "480", "510", "5", "0.5",
                    "--bootstrap-servers", bootstrapServers, "--count", "200", "--quiet"));

            Future<Integer> notifications = notify ? startNotifications(background, novu, novuKey) : null;

            step("4. Alarms arrive at the receiver (505 and 510 exceed 500, every 3.5 s)");
            int shown = watch(discord, 6, Duration.ofSeconds(120));

            step("5. Delete the rule with curl");
            curl("-sS", "-X", "DELETE", rulesUrl + "/" + ruleId, "-H", "Authorization: Bearer " + token);
            Thread.sleep(2_000); // the job applies a deleted rule within a second; what it matched before still arrives
            int before = discord.accepted().size();
            step("6. Stairs goes on above 500 for 10 s: no alarm arrives");
            Thread.sleep(10_000);
            System.out.printf("   alarms received in those 10 s: %d (before: %d, of which shown: %d)%n",
                    discord.accepted().size() - before, before, shown);
            stairs.cancel(true);
            Alarms.stopRunning(Alarms.QUERY_NAME);
            alarms.get(60, TimeUnit.SECONDS);
            if (notifications != null) {
                retract(novu, notifications);
            }
            long rows = SparkSessions.getOrCreate("demo").read().format("delta").load(dir.resolve("alarms").toString()).count();
            System.out.printf("   %s holds %d alarm rows (change data feed on); %d were delivered, those still waiting when the "
                    + "rule was deleted were dropped (streamwatch_alarm_deliveries_total{outcome=\"rule_deleted\"})%n",
                    dir.resolve("alarms"), rows, discord.accepted().size());
        } finally {
            background.shutdownNow();
        }
    }

    /** Starts the notification job on the alarms table's change data feed, once the alarms job created the table. */
    private Future<Integer> startNotifications(ExecutorService background, NovuReceiver novu, String novuKey) throws InterruptedException {
        Path alarms = dir.resolve("alarms");
        while (!Files.exists(alarms.resolve("_delta_log").resolve("00000000000000000000.json"))) { // its first commit
            Thread.sleep(200);
        }
        step("3b. Start the notification job (NotifyChanges) on the alarms table's change data feed: each alarm triggers the Novu workflow "
                + "alarm-fired for subscriber on-call, at a local receiver speaking Novu's trigger and cancel API (" + novu.url() + ")");
        novu.onEvent(line -> System.out.println("   [novu] " + line));
        Map<String, String> environment = Map.of("NOVU_API_KEY", novuKey, "NOVU_WORKFLOW_NAME", "alarm-fired", "NOVU_RECIPIENTS", "on-call",
                "NOVU_URL", novu.url(), "ALERT_TABLE", alarms.toString(), "ALERT_PAYLOAD", "rule_id,metric_name,value,threshold,state",
                "SEND_RETRACTIONS", "true", "LOG_LEVEL", "WARNING");
        return background.submit(() -> Jobs.execute(new NotifyChanges(environment), "--checkpoint", dir.resolve("checkpoints/notify").toString(),
                "--pushgateway", pushgateway, "--starting-version", "0"));
    }

    /** Deletes the alarms of the highest step from the table: the notification job cancels their triggers. */
    private void retract(NovuReceiver novu, Future<Integer> notifications) throws Exception {
        var spark = SparkSessions.getOrCreate("demo");
        long triggered = novu.triggers().size();
        step("7. Retract the alarms of value 510 (DELETE FROM the alarms table): their triggers are cancelled by transaction id, never re-sent");
        long retracted = spark.read().format("delta").load(dir.resolve("alarms").toString()).where("value = 510").count();
        spark.sql("DELETE FROM delta.`" + dir.resolve("alarms") + "` WHERE value = 510");
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (novu.cancels().size() < retracted && System.nanoTime() < deadline) {
            Thread.sleep(200);
        }
        SparkSessions.activeQuery(spark, NotifyChanges.QUERY_NAME).ifPresent(SparkSessions::stop);
        notifications.get(60, TimeUnit.SECONDS);
        System.out.printf("   Novu received %d triggers (one per alarm row, each transaction id once) and %d cancels for the %d retracted alarms%n",
                triggered, novu.cancels().size(), retracted);
    }

    /** The rules service's shaded jar (mvn package builds it): its HTTP server would clash with Spark's in one JVM. */
    private static String rulesJar() throws IOException {
        Path target = io.streamwatch.alerting.AlertingConfig.repository().resolve("rules/target");
        try (var jars = Files.list(target)) {
            return jars.filter(jar -> jar.getFileName().toString().matches("streamwatch-rules-.*-all\\.jar")).findFirst()
                    .orElseThrow(() -> new IllegalStateException("no shaded rules jar in " + target + ": run mvn -B install -DskipTests"))
                    .toString();
        }
    }

    /** Prints the alarms as they arrive, until {@code count} or the timeout; returns how many were shown. */
    private static int watch(WebhookReceiver discord, int count, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        int shown = 0;
        while (shown < count && System.nanoTime() < deadline) {
            List<WebhookReceiver.Delivery> accepted = discord.accepted();
            for (; shown < Math.min(count, accepted.size()); shown++) {
                var embed = accepted.get(shown).body().get("embeds").get(0);
                System.out.printf("   [%tT] %s: %s%n", accepted.get(shown).receivedAtMillis(), embed.get("title").asText(),
                        embed.get("description").asText());
            }
            Thread.sleep(200);
        }
        return shown;
    }

    /** Runs curl as a person would, printing the command (token elided) and its answer. */
    private static String curl(String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of("curl"));
        command.addAll(List.of(args));
        System.out.println("   $ " + String.join(" ", command.stream()
                .map(arg -> arg.startsWith("Authorization: Bearer ") ? "'Authorization: Bearer $TOKEN'" : arg.contains(" ") || arg.contains("{") ? "'" + arg + "'" : arg)
                .toList()));
        Process curl = new ProcessBuilder(command).redirectErrorStream(true).start();
        String answer = new String(curl.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (curl.waitFor() != 0) {
            throw new IllegalStateException("curl failed: " + answer);
        }
        System.out.println("   " + answer);
        return answer;
    }
}
