package io.streamwatch.listeners;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.streamwatch.testkit.LocalPushgateway;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** PushgatewayPrune against the real Pushgateway: old groups go (or would), fresh ones never, bad flags exit 2. */
class PushgatewayPruneTest {
    @TempDir
    Path dir;

    /** What a run printed and returned. */
    record Run(int exitCode, String out, String err) {
    }

    private static Run prune(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = PushgatewayPrune.run(args, new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8),
                System.currentTimeMillis());
        return new Run(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    private static void push(PushgatewayPublisher publisher, PushGroup group) {
        publisher.publish(group, () -> List.of(MetricSample.of("streamwatch_query_up", "u", 0)));
        assertTrue(publisher.flush(Duration.ofSeconds(10)));
    }

    private static boolean holds(LocalPushgateway pushgateway, String job, String query) {
        return pushgateway.value("streamwatch_query_up", Map.of("job", job, "query", query)).isPresent();
    }

    @Test
    void deletesTheGroupsPushedLongerAgoThanTheAgeAndNeverAFreshOne() throws Exception {
        try (LocalPushgateway pushgateway = LocalPushgateway.start(dir.resolve("pushgateway"));
             PushgatewayPublisher publisher = new PushgatewayPublisher(pushgateway.address())) {
            PushGroup retired = new PushGroup("nightly", Map.of("query", "orders/eu west", "query_id", "r1"));
            PushGroup otherJob = new PushGroup("backfill", Map.of("query", "old", "query_id", "b1"));
            push(publisher, retired);
            push(publisher, otherJob);
            long pushed = System.currentTimeMillis();
            await().atMost(Duration.ofSeconds(10)).until(() -> System.currentTimeMillis() - pushed > 2_500);
            PushGroup running = new PushGroup("nightly", Map.of("query", "live", "query_id", "l1"));
            push(publisher, running);

            Run dryRun = prune("--pushgateway", pushgateway.address(), "--older-than", "2s", "--dry-run");
            assertEquals(0, dryRun.exitCode(), dryRun.err());
            assertTrue(dryRun.out().contains("would delete {job=nightly, query=orders/eu west, query_id=r1}"), dryRun.out());
            assertTrue(dryRun.out().contains("would delete 2 group(s), kept 1"), dryRun.out());
            assertTrue(holds(pushgateway, "nightly", "orders/eu west"), "a dry run deletes nothing");

            Run oneJob = prune("--pushgateway", pushgateway.address(), "--older-than", "2s", "--job", "nightly");
            assertEquals(0, oneJob.exitCode(), oneJob.err());
            assertTrue(oneJob.out().contains("deleted {job=nightly, query=orders/eu west, query_id=r1}"), oneJob.out());
            assertFalse(holds(pushgateway, "nightly", "orders/eu west"), "the group with a slash and a space in a value is gone");
            assertTrue(holds(pushgateway, "nightly", "live"), "a group pushed within the age stays");
            assertTrue(holds(pushgateway, "backfill", "old"), "another job's group stays with --job");

            Run all = prune("--pushgateway", pushgateway.address(), "--older-than", "2s");
            assertTrue(all.out().contains("deleted 1 group(s), kept 1"), all.out());
            assertFalse(holds(pushgateway, "backfill", "old"));
            assertTrue(holds(pushgateway, "nightly", "live"));
        }
    }

    @Test
    void takesCredentialsAsTheListenersDoAndNeverPrintsThem() throws Exception {
        try (LocalPushgateway pushgateway = LocalPushgateway.startWithBasicAuth(dir.resolve("secured"), "ops", "pr1vate-pw")) {
            Path password = dir.resolve("password");
            Files.writeString(password, "pr1vate-pw\n");
            Run refused = prune("--pushgateway", pushgateway.address(), "--older-than", "1h");
            assertEquals(1, refused.exitCode(), refused.out());
            assertTrue(refused.err().contains("answered HTTP 401"), refused.err());
            Run authorized = prune("--pushgateway", pushgateway.address(), "--older-than", "1h", "--username", "ops", "--password-file", password.toString());
            assertEquals(0, authorized.exitCode(), authorized.err());
            Run inAddress = prune("--pushgateway", "http://ops:pr1vate-pw@" + pushgateway.address(), "--older-than", "1h", "--dry-run");
            assertEquals(0, inAddress.exitCode(), inAddress.err());
            for (Run run : List.of(refused, authorized, inAddress)) {
                assertFalse((run.out() + run.err()).contains("pr1vate-pw"), run.toString());
            }
        }
    }

    @Test
    void badFlagsExitTwoWithOneLine() {
        for (String[] args : List.of(new String[] {"--older-than", "1h"}, new String[] {"--pushgateway", "localhost:9091"},
                new String[] {"--pushgateway", "localhost:9091", "--older-than", "soon"},
                new String[] {"--pushgateway", "localhost:9091", "--older-than", "0s"},
                new String[] {"--pushgateway", "htp://u:secret-pw@x:9091", "--older-than", "1h"},
                new String[] {"--pushgateway", "localhost:9091", "--older-than", "1h", "--force"})) {
            Run run = prune(args);
            assertEquals(2, run.exitCode(), String.join(" ", args));
            assertEquals(1, run.err().lines().count(), run.err());
            assertTrue(run.err().endsWith(" (see --help)\n"), run.err());
            assertFalse(run.err().contains("secret-pw"), run.err());
        }
        assertTrue(prune("--help").out().contains("--older-than AGE"));
    }
}
