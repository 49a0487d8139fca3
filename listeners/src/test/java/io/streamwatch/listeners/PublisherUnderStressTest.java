package io.streamwatch.listeners;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import io.streamwatch.testkit.LocalPushgateway;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Nothing stops the sender; an outage holds its backoff however busy the job; 408 and 429 are retried. */
class PublisherUnderStressTest {
    private static final PushGroup GROUP = new PushGroup("stress_test", Map.of("query", "q"));

    @TempDir
    Path dir;

    @Test
    void snapshotsThatCannotBePushedAreSkippedAndTheSenderGoesOn() {
        try (LocalPushgateway pushgateway = LocalPushgateway.start(dir);
             PushgatewayPublisher publisher = new PushgatewayPublisher(pushgateway.address())) {
            publisher.publish(GROUP, () -> List.of(
                    new MetricSample("test_mixed", "h", Map.of("a", "1"), 1),
                    new MetricSample("test_mixed", "h", Map.of("b", "2"), 2)));
            assertFalse(publisher.flush(Duration.ofSeconds(10)), "a label-set mismatch is dropped, not delivered");
            Map<String, String> nullLabel = new HashMap<>();
            nullLabel.put("a", null);
            publisher.publish(GROUP, () -> List.of(new MetricSample("test_null", "h", nullLabel, 1)));
            assertFalse(publisher.flush(Duration.ofSeconds(10)));
            publisher.publish(GROUP, () -> {
                throw new StackOverflowError("a snapshot that errs");
            });
            assertFalse(publisher.flush(Duration.ofSeconds(10)));
            assertEquals(3, publisher.droppedSnapshots());

            publisher.publish(GROUP, () -> List.of(MetricSample.of("test_version", "h", 5)));
            assertTrue(publisher.flush(Duration.ofSeconds(10)), "the sender is alive");
            assertEquals(5, pushgateway.value("test_version", Map.of("job", "stress_test")).getAsDouble());
            assertTrue(PushgatewayPublisher.shared(pushgateway.address()) != null);
        }
    }

    @Test
    void anOutageKeepsItsBackoffHoweverOftenTheJobPublishes() throws Exception {
        AtomicInteger requests = new AtomicInteger();
        HttpServer server = answering(exchange -> 503, requests);
        try (PushgatewayPublisher publisher = new PushgatewayPublisher("127.0.0.1:" + server.getAddress().getPort())) {
            long end = System.nanoTime() + Duration.ofSeconds(3).toNanos();
            int published = 0;
            while (System.nanoTime() < end) {
                int value = published++;
                publisher.publish(GROUP, () -> List.of(MetricSample.of("test_version", "h", value)));
                Thread.onSpinWait();
            }
            assertTrue(publisher.isInOutage());
            // 250 ms, 500 ms, 1 s, 2 s: at most 5 attempts in 3 s, whatever the number of publishes
            assertTrue(requests.get() <= 6, requests.get() + " attempts for " + published + " publishes");
            assertEquals(1, publisher.outages());
        } finally {
            server.stop(0);
        }
    }

    @Test
    void tooManyRequestsAndRequestTimeoutAreRetriedUntilDelivered() throws Exception {
        AtomicInteger requests = new AtomicInteger();
        HttpServer server = answering(exchange -> switch (requests.get()) {
            case 1 -> 429;
            case 2 -> 408;
            default -> 200;
        }, requests);
        try (PushgatewayPublisher publisher = new PushgatewayPublisher("127.0.0.1:" + server.getAddress().getPort())) {
            publisher.publish(GROUP, () -> List.of(MetricSample.of("test_version", "h", 1)));
            assertTrue(publisher.flush(Duration.ofSeconds(10)));
            assertEquals(3, requests.get());
            assertEquals(0, publisher.droppedSnapshots());
            await().atMost(Duration.ofSeconds(5)).until(() -> !publisher.isInOutage());
        } finally {
            server.stop(0);
        }
    }

    private static HttpServer answering(java.util.function.ToIntFunction<Object> status, AtomicInteger requests) throws Exception {
        HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/", exchange -> {
            requests.incrementAndGet();
            exchange.getRequestBody().readAllBytes();
            exchange.sendResponseHeaders(status.applyAsInt(exchange), -1);
            exchange.close();
        });
        server.start();
        return server;
    }
}
