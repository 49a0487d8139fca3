package io.streamwatch.jobs.alarms.discord;

import io.streamwatch.jobs.common.Backoff;
import io.streamwatch.jobs.common.ShortText;
import io.streamwatch.jobs.common.DeliveryStopped;
import io.streamwatch.rules.RuleJson;
import io.streamwatch.rules.WebhookPrefixes;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;

/**
 * Posts messages to Discord webhooks the way Discord asks: with a {@code User-Agent} and {@code ?wait=true}, so a
 * 2xx means the message was saved (without it a 204 only means queued); a 429 waits what it says ({@code retry_after}
 * in the body, float seconds, however long, else {@code Retry-After}, else {@code X-RateLimit-Reset-After}, else a
 * backoff that grows), a global one ({@code "global": true}, {@code X-RateLimit-Scope: global}) pauses every webhook,
 * and an exhausted bucket ({@code X-RateLimit-Remaining: 0}) waits before the next message to that webhook; 5xx and
 * unreachable retry with backoff until delivered (a delay, never a loss); 404 (deleted) and 401 (invalid token, code
 * 50027) mean the webhook is gone; another 4xx is refused with its reason. Never shows a webhook's URL, only
 * {@link WebhookPrefixes#mask masked}.
 */
public final class DiscordWebhook {
    /** How a message ended. */
    public enum Outcome { DELIVERED, GONE, REFUSED }

    public record Result(Outcome outcome, String reason) {
    }

    private final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    public static final String USER_AGENT = "DiscordBot (https://github.com/streamwatch/streamwatch, 0.2.0)";
    private final Map<String, Long> notBeforeNanos = new ConcurrentHashMap<>();
    private volatile long globalNotBeforeNanos;
    private final BooleanSupplier stopping;
    private final AtomicLong rateLimited = new AtomicLong();
    private final AtomicLong retried = new AtomicLong();

    public DiscordWebhook(BooleanSupplier stopping) {
        this.stopping = stopping;
    }

    /** Posts until Discord takes it, refuses it, or the webhook is gone; throws {@link DeliveryStopped} when stopping. */
    public Result post(String url, String json) throws DeliveryStopped, InterruptedException {
        Backoff backoff = new Backoff(stopping);
        while (true) {
            backoff.waitUntil(Math.max(globalNotBeforeNanos, notBeforeNanos.getOrDefault(url, 0L)));
            HttpResponse<String> response;
            try {
                response = client.send(HttpRequest.newBuilder(URI.create(waiting(url))).timeout(Duration.ofSeconds(15))
                        .header("Content-Type", "application/json").header("User-Agent", USER_AGENT)
                        .POST(HttpRequest.BodyPublishers.ofString(json)).build(), HttpResponse.BodyHandlers.ofString());
            } catch (IOException e) {
                retried.incrementAndGet();
                backoff.pause();
                continue;
            }
            int status = response.statusCode();
            rememberBucket(url, response);
            if (status / 100 == 2) {
                return new Result(Outcome.DELIVERED, "HTTP " + status);
            } else if (status == 429) {
                rateLimited.incrementAndGet();
                Optional<Duration> said = retryAfter(response);
                Duration wait = said.orElseGet(backoff::grow);
                if (isGlobal(response)) {
                    globalNotBeforeNanos = System.nanoTime() + wait.toNanos();
                } else {
                    notBeforeNanos.put(url, System.nanoTime() + wait.toNanos());
                }
            } else if (status / 100 == 5) {
                retried.incrementAndGet();
                backoff.pause();
            } else if (status == 404) {
                return new Result(Outcome.GONE, "HTTP 404: the webhook no longer exists");
            } else if (status == 401) {
                return new Result(Outcome.GONE, "HTTP 401: " + reason(response) + " (the webhook's token is wrong or was reset)");
            } else {
                return new Result(Outcome.REFUSED, "HTTP " + status + ": " + reason(response));
            }
        }
    }

    /** 429 answers seen (each waited out). */
    public long rateLimited() {
        return rateLimited.get();
    }

    /** Attempts retried after a 5xx or an unreachable webhook. */
    public long retried() {
        return retried.get();
    }

    private void rememberBucket(String url, HttpResponse<String> response) {
        Optional<String> remaining = response.headers().firstValue("X-RateLimit-Remaining");
        Optional<Duration> resetAfter = Backoff.seconds(response.headers().firstValue("X-RateLimit-Reset-After").orElse(null));
        if (response.statusCode() != 429 && remaining.isPresent() && remaining.get().trim().equals("0") && resetAfter.isPresent()) {
            notBeforeNanos.put(url, System.nanoTime() + resetAfter.get().toNanos());
        } else if (response.statusCode() != 429) {
            notBeforeNanos.remove(url);
        }
    }

    /** The URL to execute: with {@code wait=true}, so Discord answers once the message is saved. */
    static String waiting(String url) {
        int query = url.indexOf('?');
        if (query < 0) {
            return url + "?wait=true";
        }
        String kept = String.join("&", java.util.Arrays.stream(url.substring(query + 1).split("&"))
                .filter(parameter -> !parameter.isEmpty() && !parameter.startsWith("wait=")).toList());
        return url.substring(0, query) + "?" + (kept.isEmpty() ? "" : kept + "&") + "wait=true";
    }

    private static boolean isGlobal(HttpResponse<String> response) {
        if (response.headers().firstValue("X-RateLimit-Scope").map("global"::equalsIgnoreCase).orElse(false)
                || response.headers().firstValue("X-RateLimit-Global").map("true"::equalsIgnoreCase).orElse(false)) {
            return true;
        }
        try {
            JsonNode body = RuleJson.JSON.readTree(response.body());
            return body != null && body.path("global").asBoolean(false);
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    static Optional<Duration> retryAfter(HttpResponse<String> response) {
        try {
            JsonNode body = RuleJson.JSON.readTree(response.body());
            if (body != null && body.path("retry_after").isNumber()) {
                return Backoff.seconds(body.get("retry_after").asText());
            }
        } catch (IOException | RuntimeException e) {
            // not JSON: the headers say it
        }
        return Backoff.seconds(response.headers().firstValue("Retry-After").orElse(null))
                .or(() -> Backoff.seconds(response.headers().firstValue("X-RateLimit-Reset-After").orElse(null)));
    }

    private static String reason(HttpResponse<String> response) {
        try {
            JsonNode body = RuleJson.JSON.readTree(response.body());
            if (body != null && body.has("message")) {
                return ShortText.cut(body.get("message").asText() + (body.has("errors") ? " " + body.get("errors") : ""), 300);
            }
        } catch (IOException | RuntimeException e) {
            // fall through
        }
        return ShortText.cut(response.body() == null ? "" : response.body().strip(), 300);
    }
}
