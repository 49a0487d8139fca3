package io.streamwatch.listeners;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.streamwatch.testkit.FreePorts;
import io.streamwatch.testkit.LocalPushgateway;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Collection;
import java.util.function.Supplier;
import java.util.List;
import java.util.Map;
import java.util.OptionalDouble;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PushgatewayPublisherTest {
    @TempDir
    Path dir;

    private static final PushGroup GROUP = new PushGroup("publisher_test", Map.of("query", "q1"));

    private static List<MetricSample> version(double value) {
        return List.of(MetricSample.of("test_version", "A version.", value));
    }

    @Test
    void theNewestValueOfAGroupIsDeliveredAndOlderOnesAreSkipped() {
        try (LocalPushgateway pushgateway = LocalPushgateway.start(dir);
             PushgatewayPublisher publisher = new PushgatewayPublisher(pushgateway.address())) {
            for (int value = 1; value <= 1000; value++) {
                int v = value;
                publisher.publish(GROUP, () -> version(v));
            }
            assertTrue(publisher.flush(Duration.ofSeconds(10)));
            assertEquals(1000, pushgateway.value("test_version", Map.of("job", "publisher_test", "query", "q1")).getAsDouble());
            assertTrue(publisher.deliveredPushes() < 1000, "older snapshots were replaced, not sent: " + publisher.deliveredPushes());
        }
    }

    @Test
    void anyJobOrLabelValueArrivesAsItIsAndItsGroupCanBeRemoved() {
        Map<String, String> labels = Map.of("query", "my query/äö", "plus", "a+b", "percent", "50%", "dots", "..", "plain", "ok");
        PushGroup group = new PushGroup("my job", labels);
        try (LocalPushgateway pushgateway = LocalPushgateway.start(dir);
             PushgatewayPublisher publisher = new PushgatewayPublisher(pushgateway.address())) {
            publisher.publish(group, () -> version(7));
            assertTrue(publisher.flush(Duration.ofSeconds(10)));
            Map<String, String> expected = new java.util.HashMap<>(labels);
            expected.put("job", "my job");
            assertEquals(7, pushgateway.value("test_version", expected).orElse(-1), "labels as given, never 'my+query'");

            publisher.remove(group);
            assertTrue(publisher.flush(Duration.ofSeconds(10)));
            assertFalse(pushgateway.value("test_version", expected).isPresent());
        }
    }

    @Test
    void twoGroupsDoNotOverwriteEachOther() {
        try (LocalPushgateway pushgateway = LocalPushgateway.start(dir);
             PushgatewayPublisher publisher = new PushgatewayPublisher(pushgateway.address())) {
            publisher.publish(GROUP, () -> version(1));
            publisher.publish(new PushGroup("publisher_test", Map.of("query", "q2")), () -> version(2));
            assertTrue(publisher.flush(Duration.ofSeconds(10)));
            assertEquals(1, pushgateway.value("test_version", Map.of("query", "q1")).getAsDouble());
            assertEquals(2, pushgateway.value("test_version", Map.of("query", "q2")).getAsDouble());

            publisher.remove(GROUP);
            assertTrue(publisher.flush(Duration.ofSeconds(10)));
            assertFalse(pushgateway.value("test_version", Map.of("query", "q1")).isPresent());
            assertEquals(2, pushgateway.value("test_version", Map.of("query", "q2")).getAsDouble());
        }
    }

    @Test
    void partsOfAGroupArePushedTogetherAndTheGroupGoesWithItsLastPart() {
        try (LocalPushgateway pushgateway = LocalPushgateway.start(dir);
             PushgatewayPublisher publisher = new PushgatewayPublisher(pushgateway.address())) {
            publisher.publish(GROUP, "durations", () -> List.of(MetricSample.of("test_duration_seconds", "d", 2)));
            publisher.publish(GROUP, "health", () -> List.of(MetricSample.of("test_up", "u", 1)));
            assertTrue(publisher.flush(Duration.ofSeconds(10)));
            publisher.publish(GROUP, "durations", () -> List.of(MetricSample.of("test_duration_seconds", "d", 3)));
            assertTrue(publisher.flush(Duration.ofSeconds(10)));
            assertEquals(3, pushgateway.value("test_duration_seconds", Map.of("query", "q1")).getAsDouble());
            assertEquals(1, pushgateway.value("test_up", Map.of("query", "q1")).getAsDouble(), "a part's push keeps the others");

            publisher.remove(GROUP, "durations");
            assertTrue(publisher.flush(Duration.ofSeconds(10)));
            assertFalse(pushgateway.value("test_duration_seconds", Map.of("query", "q1")).isPresent());
            assertEquals(1, pushgateway.value("test_up", Map.of("query", "q1")).getAsDouble());

            publisher.remove(GROUP, "health");
            assertTrue(publisher.flush(Duration.ofSeconds(10)));
            assertFalse(pushgateway.value("push_time_seconds", Map.of("query", "q1")).isPresent(), "the group is gone");
        }
    }

    @Test
    void anOutageDelaysTheNewestValueWithOneWarningAndItArrivesWhenThePushgatewayIsBack() {
        int port = FreePorts.next();
        try (PushgatewayPublisher publisher = new PushgatewayPublisher("127.0.0.1:" + port)) {
            for (int value = 1; value <= 50; value++) {
                int v = value;
                publisher.publish(GROUP, () -> version(v));
            }
            await().atMost(Duration.ofSeconds(10)).until(publisher::isInOutage);
            assertFalse(publisher.flush(Duration.ofMillis(1500)), "nothing can be delivered yet");
            assertEquals(1, publisher.outages(), "one warning for the outage, not one per value or retry");

            try (LocalPushgateway pushgateway = LocalPushgateway.startOn(port, dir)) {
                OptionalDouble delivered = await().atMost(Duration.ofSeconds(30))
                        .until(() -> pushgateway.value("test_version", Map.of("job", "publisher_test")), OptionalDouble::isPresent);
                assertEquals(50, delivered.getAsDouble());
                await().atMost(Duration.ofSeconds(5)).until(() -> !publisher.isInOutage());
                assertEquals(1, publisher.outages());
            }
        }
    }

    @Test
    void publishNeverWaitsForAPushgatewayThatDoesNotAnswer() throws Exception {
        // The kernel accepts connections to this socket, but nothing ever answers: a push waits for its timeout.
        try (ServerSocket silent = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
             PushgatewayPublisher publisher = new PushgatewayPublisher("127.0.0.1:" + silent.getLocalPort())) {
            List<Long> micros = new java.util.ArrayList<>();
            for (int value = 1; value <= 200; value++) {
                int v = value;
                Supplier<Collection<MetricSample>> snapshot = () -> version(v);
                long start = System.nanoTime();
                publisher.publish(GROUP, snapshot);
                micros.add((System.nanoTime() - start) / 1000);
            }
            assertFalse(publisher.flush(Duration.ofSeconds(1)), "the push is stuck waiting for an answer");
            long slowest = micros.stream().mapToLong(Long::longValue).max().orElseThrow();
            assertTrue(slowest < 100_000, "a push waits up to 10 s; publish took at most " + slowest + " us");
        }
    }

    @Test
    void aSnapshotThatCannotBeComputedIsSkippedAndLaterOnesStillGo() {
        try (LocalPushgateway pushgateway = LocalPushgateway.start(dir);
             PushgatewayPublisher publisher = new PushgatewayPublisher(pushgateway.address())) {
            publisher.publish(GROUP, () -> {
                throw new IllegalStateException("table gone");
            });
            assertFalse(publisher.flush(Duration.ofSeconds(10)), "skipped, not delivered");
            publisher.publish(GROUP, () -> version(7));
            assertTrue(publisher.flush(Duration.ofSeconds(10)));
            assertEquals(7, pushgateway.value("test_version", Map.of("job", "publisher_test")).getAsDouble());
        }
    }

    @Test
    void credentialsInTheAddressAreNotPrinted() {
        assertEquals("https://***@push.example.com:9091",
                PushTarget.redacted("https://user:s3cret@push.example.com:9091"));
    }
}
