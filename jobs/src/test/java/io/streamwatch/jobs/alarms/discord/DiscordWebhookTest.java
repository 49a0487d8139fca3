package io.streamwatch.jobs.alarms.discord;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.streamwatch.jobs.common.DeliveryStopped;
import io.streamwatch.testkit.WebhookReceiver;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The client against a peer that speaks Discord's webhook contract (testkit's {@link WebhookReceiver#discord()}). */
class DiscordWebhookTest {
    static final String MESSAGE = "{\"embeds\": [{\"title\": \"Alarm triggered\", \"description\": \"cpu is 91\"}]}";
    final WebhookReceiver discord = WebhookReceiver.discord();
    final AtomicBoolean stopping = new AtomicBoolean();
    final DiscordWebhook client = new DiscordWebhook(stopping::get);

    @AfterEach
    void close() {
        discord.close();
    }

    String hook(String id) {
        return discord.url("/api/webhooks/" + id + "/t0ken");
    }

    @Test
    void aMessageGoesWithAUserAgentAndWaitTrueAndCountsAsSavedOnlyWhenDiscordSavedIt() throws Exception {
        assertEquals(DiscordWebhook.Outcome.DELIVERED, client.post(hook("1"), MESSAGE).outcome());
        WebhookReceiver.Delivery delivery = discord.deliveries().get(0);
        assertEquals(200, delivery.answered(), "under wait=true Discord answers the saved message");
        assertEquals("wait=true", delivery.query());
        assertTrue(delivery.headers().get("user-agent").startsWith("DiscordBot ("), delivery.headers().toString());
        assertEquals("https://x/api/webhooks/1/t?thread_id=7&wait=true", DiscordWebhook.waiting("https://x/api/webhooks/1/t?thread_id=7&wait=false"));
    }

    @Test
    void thePeerRefusesWhatDiscordRefuses() throws Exception {
        assertEquals(DiscordWebhook.Outcome.REFUSED, client.post(hook("2"), "{\"embeds\": [{\"title\": \"" + "t".repeat(300) + "\"}]}").outcome());
        assertEquals(DiscordWebhook.Outcome.REFUSED, client.post(hook("2"), "{}").outcome());
        assertEquals(List.of(400, 400), discord.deliveries().stream().map(WebhookReceiver.Delivery::answered).toList());
        java.net.http.HttpResponse<String> anonymous = java.net.http.HttpClient.newHttpClient().send(java.net.http.HttpRequest.newBuilder(
                java.net.URI.create(hook("2"))).header("User-Agent", " ").POST(java.net.http.HttpRequest.BodyPublishers.ofString(MESSAGE)).build(),
                java.net.http.HttpResponse.BodyHandlers.ofString());
        assertEquals(400, anonymous.statusCode(), anonymous.body());
    }

    @Test
    void aGlobalRateLimitPausesEveryWebhook() throws Exception {
        discord.replyNext(WebhookReceiver.Reply.globalRateLimited(1.5));
        CompletableFuture<Void> limited = CompletableFuture.runAsync(() -> {
            try {
                client.post(hook("3"), MESSAGE);
            } catch (DeliveryStopped | InterruptedException e) {
                throw new java.util.concurrent.CompletionException(e);
            }
        });
        await().atMost(Duration.ofSeconds(5)).until(() -> discord.deliveries().size() == 1);
        long limitedAt = discord.deliveries().get(0).receivedAtMillis();
        assertEquals(DiscordWebhook.Outcome.DELIVERED, client.post(hook("4"), MESSAGE).outcome());
        limited.join();
        WebhookReceiver.Delivery other = discord.deliveries().stream().filter(d -> d.path().contains("/4/")).findFirst().orElseThrow();
        assertTrue(other.receivedAtMillis() - limitedAt >= 1400, "another webhook waited the global limit too: "
                + (other.receivedAtMillis() - limitedAt) + " ms");
    }

    @Test
    void anInvalidTokenIsGoneLikeADeletedWebhook() throws Exception {
        discord.replyAlways("/api/webhooks/5/t0ken", WebhookReceiver.Reply.invalidWebhookToken());
        DiscordWebhook.Result result = client.post(hook("5"), MESSAGE);
        assertEquals(DiscordWebhook.Outcome.GONE, result.outcome());
        assertTrue(result.reason().contains("Invalid Webhook Token"), result.reason());
        assertEquals(1, discord.deliveries().size(), "asked once");
    }

    @Test
    void aLongRetryAfterIsWaitedOutNotRetriedEveryQuarterSecond() {
        discord.replyNext(WebhookReceiver.Reply.rateLimited(5400));
        CompletableFuture<DiscordWebhook.Result> posted = CompletableFuture.supplyAsync(() -> {
            try {
                return client.post(hook("6"), MESSAGE);
            } catch (DeliveryStopped | InterruptedException e) {
                throw new java.util.concurrent.CompletionException(e);
            }
        });
        await().during(Duration.ofMillis(1500)).atMost(Duration.ofSeconds(3)).until(() -> discord.deliveries().size() == 1);
        stopping.set(true);
        Exception stopped = assertThrows(Exception.class, () -> posted.get(5, java.util.concurrent.TimeUnit.SECONDS));
        assertTrue(stopped.getCause() instanceof DeliveryStopped, stopped.toString());
    }

    @Test
    void aRateLimitThatSaysNoWaitBacksOffWithGrowth() throws Exception {
        discord.replyNext(WebhookReceiver.Reply.rateLimitedWithoutWait(), WebhookReceiver.Reply.rateLimitedWithoutWait(),
                WebhookReceiver.Reply.rateLimitedWithoutWait());
        assertEquals(DiscordWebhook.Outcome.DELIVERED, client.post(hook("7"), MESSAGE).outcome());
        List<WebhookReceiver.Delivery> all = discord.deliveries();
        long first = all.get(1).receivedAtMillis() - all.get(0).receivedAtMillis();
        long third = all.get(3).receivedAtMillis() - all.get(2).receivedAtMillis();
        assertTrue(first >= 240 && third >= 3 * first, "waits grow: " + first + " ms, then " + third + " ms");
    }
}
