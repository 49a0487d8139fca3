package io.streamwatch.jobs.notify.novu;

import io.streamwatch.jobs.common.DeliveryStopped;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.streamwatch.testkit.NovuReceiver;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Novu's documented answers, from a local peer speaking its event API: rate limits, idempotency, statuses, cancels. */
class NovuClientTest {
    static final String KEY = "nv-test-key-0c1d";
    final NovuReceiver novu = new NovuReceiver(KEY);
    final AtomicBoolean stopping = new AtomicBoolean();
    final NovuClient client = new NovuClient(novu.url() + "/v1/", KEY, stopping::get, Duration.ofSeconds(2));

    @AfterEach
    void close() {
        novu.close();
    }

    static NovuClient.Event event(int n) {
        return new NovuClient.Event("wf", List.of("alice"), "{\"n\":" + n + "}", "tx-" + n);
    }

    @Test
    void theRateLimitHeadersAreRespected_noRequestMeetsA429() throws Exception {
        novu.rateLimit(5, Duration.ofSeconds(1));
        long started = System.nanoTime();
        for (int n = 0; n < 12; n++) {
            assertEquals(NovuClient.ACCEPTED, client.trigger(event(n)).outcome());
        }
        assertTrue(novu.requests().stream().noneMatch(r -> r.answered() == 429), "waited for RateLimit-Reset instead of hitting 429");
        assertTrue(System.nanoTime() - started >= Duration.ofMillis(1900).toNanos(), "12 requests at 5 per second take two resets");
        assertEquals(0, client.rateLimited());
    }

    @Test
    void aBulkCostsAHundredTokens_andIsAnsweredPerEvent() throws Exception {
        novu.rateLimit(100, Duration.ofSeconds(1));
        assertEquals(NovuClient.ACCEPTED, client.trigger(event(0)).outcome());
        List<NovuClient.Outcome> outcomes = client.triggerBulk(IntStream.range(1, 101).mapToObj(NovuClientTest::event).toList());
        assertEquals(100, outcomes.stream().filter(o -> o.outcome().equals(NovuClient.ACCEPTED)).count());
        assertEquals(101, novu.triggers().size());
        assertThrows(IllegalArgumentException.class, () -> client.triggerBulk(IntStream.range(0, 101).mapToObj(NovuClientTest::event).toList()));
    }

    @Test
    void idempotencyConflictsWait_aDifferentBodyIsRefused_otherStatusesAreFailures_cancelsSayWhetherAnythingWasPending() throws Exception {
        novu.replyNext(new NovuReceiver.Reply(409, "{\"statusCode\":409,\"message\":\"Request with key is being processed\"}",
                Map.of("Retry-After", "1"), null, Duration.ZERO));
        long started = System.nanoTime();
        assertEquals(NovuClient.ACCEPTED, client.trigger(event(1)).outcome());
        assertTrue(System.nanoTime() - started >= Duration.ofMillis(950).toNanos(), "409 with Retry-After waited");
        assertEquals(NovuClient.ACCEPTED, client.trigger(event(1)).outcome(), "the same key and body: Novu's cached answer");
        NovuClient.Outcome changed = client.trigger(new NovuClient.Event("wf", List.of("bob"), "{\"n\":1}", "tx-1"));
        assertEquals(NovuClient.FAILED, changed.outcome());
        assertEquals(422, changed.httpStatus());
        novu.replyNext(NovuReceiver.Reply.triggerStatus("invalid_recipients"));
        NovuClient.Outcome notDelivered = client.trigger(event(2));
        assertTrue(notDelivered.failed());
        assertTrue(notDelivered.reason().startsWith("status invalid_recipients"), notDelivered.reason());
        assertEquals(NovuClient.CANCELLED, client.cancel("tx-1").outcome());
        assertEquals(NovuClient.CANCELLED, client.cancel("tx-1").outcome(), "a repeated cancel gets the cached answer");
        assertEquals(NovuClient.NOTHING_PENDING, client.cancel("tx-never-sent").outcome());
    }

    @Test
    void aRefusedKeyAndA5xxOnlyDelay_untilTheCallerStops() throws Exception {
        NovuClient wrongKey = new NovuClient(novu.url(), "wrong", stopping::get, Duration.ofSeconds(2));
        java.util.concurrent.ScheduledExecutorService stopper = java.util.concurrent.Executors.newSingleThreadScheduledExecutor();
        stopper.schedule(() -> stopping.set(true), 1500, java.util.concurrent.TimeUnit.MILLISECONDS);
        assertThrows(DeliveryStopped.class, () -> wrongKey.trigger(event(1)));
        stopper.shutdown();
        assertTrue(novu.requests().size() >= 2, "retried with backoff");
        assertTrue(novu.requests().stream().allMatch(r -> r.answered() == 401));
        assertFalse(novu.requests().isEmpty());
        assertTrue(novu.triggers().isEmpty());
    }

    @Test
    void aRetryAfterA5xxGoesWithANewKeyBecauseNovuReplaysTheCachedError() throws Exception {
        novu.replyNext(NovuReceiver.Reply.status(500));
        assertEquals(NovuClient.ACCEPTED, client.trigger(event(3)).outcome(), "delivered on the retry, not stalled by the cached 500");
        List<String> keys = novu.requests().stream().map(r -> r.headers().get("idempotency-key")).toList();
        assertEquals(2, keys.size());
        assertEquals(List.of("tx-3", "tx-3-r1"), keys);
        assertEquals(1, novu.triggers().size());
    }

    @Test
    void aRepeatedTransactionIdIsAcceptedOnceAndNotifiedOnce() throws Exception {
        assertEquals(NovuClient.ACCEPTED, client.trigger(event(4)).outcome());
        NovuClient.Event again = new NovuClient.Event("wf", List.of("alice"), "{\"n\":4}", "tx-4");
        NovuClient.Outcome repeated = new NovuClient(novu.url(), KEY, stopping::get, Duration.ofSeconds(2)).trigger(again);
        assertEquals(NovuClient.ACCEPTED, repeated.outcome());
        assertEquals(201, repeated.httpStatus(), "Novu answers 201 and its worker drops the repeat");
        assertEquals(1, novu.triggers().size());
    }

    @Test
    void anUnknownWorkflowIsAFailurePerChangeWithItsReason() throws Exception {
        novu.workflows("alerts");
        NovuClient.Outcome single = client.trigger(event(5));
        assertEquals(NovuClient.FAILED, single.outcome());
        assertEquals(422, single.httpStatus());
        assertTrue(single.reason().contains("workflow_not_found"), single.reason());
        List<NovuClient.Outcome> bulk = client.triggerBulk(List.of(event(6), new NovuClient.Event("alerts", List.of("alice"), "{}", "tx-7")));
        assertEquals(List.of(NovuClient.FAILED, NovuClient.ACCEPTED), bulk.stream().map(NovuClient.Outcome::outcome).toList());
        assertTrue(bulk.get(0).reason().contains("workflow_not_found"), bulk.get(0).reason());
    }

    @Test
    void aWrongEndpointIsAnOutageNeverADeadLetter() {
        NovuClient wrongPath = new NovuClient(novu.url() + "/api/novu", KEY, stopping::get, Duration.ofSeconds(2));
        java.util.concurrent.ScheduledExecutorService stopper = java.util.concurrent.Executors.newSingleThreadScheduledExecutor();
        stopper.schedule(() -> stopping.set(true), 1500, java.util.concurrent.TimeUnit.MILLISECONDS);
        assertThrows(DeliveryStopped.class, () -> wrongPath.trigger(event(8)), "retried until stopped, no failed outcome");
        assertThrows(DeliveryStopped.class, () -> wrongPath.triggerBulk(List.of(event(9))));
        stopper.shutdown();
        assertTrue(novu.requests().size() >= 2 && novu.requests().stream().allMatch(r -> r.answered() == 404), "every request met the 404");
    }
}
