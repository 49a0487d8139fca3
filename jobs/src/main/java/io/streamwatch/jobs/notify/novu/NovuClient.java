package io.streamwatch.jobs.notify.novu;

import io.streamwatch.jobs.common.Backoff;
import io.streamwatch.jobs.common.ShortText;
import io.streamwatch.jobs.common.DeliveryStopped;
import io.streamwatch.rules.RuleJson;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Novu's event API as its source and docs describe it: triggers ({@code POST /v1/events/trigger}, and {@code /bulk}
 * for up to {@link #MAX_BULK} events), cancels ({@code DELETE /v1/events/trigger/{transactionId}}), {@code
 * Authorization: ApiKey}, an {@code Idempotency-Key} per request.
 *
 * <p>Novu keeps each key's answer for 24 hours, errors included, so a request retried after a 5xx, a timeout, no
 * answer or a refused key goes with a new key ({@code <key>-r<attempt>}); the deterministic {@code transactionId} is
 * what keeps Novu from notifying twice (a duplicate is answered 201 and dropped by its worker). The same key is kept
 * only where Novu did not take the request (429) or is still running it (409 with {@code Retry-After}, waited).
 * Novu answers 201 when it accepted a trigger, not when it delivered: {@code data.status} {@code processed} is
 * {@link #ACCEPTED}, another status a failure with its reason; an unknown workflow is 422
 * {@code workflow_not_found} (said once, a failure per change). 429 waits {@code Retry-After} (else
 * {@code RateLimit-Reset}, else a growing backoff), and a bucket without the tokens for the next request
 * ({@code RateLimit-Remaining}; a bulk costs 100) waits for its reset. A 404 or 405 to a trigger is a fault of the
 * endpoint (a wrong {@code NOVU_URL} path, a proxy), never of a change: an outage, like 5xx, timeouts, an unreachable
 * Novu and a refused key (401/403), retried with backoff until the caller stops: a delay, never a loss. Other 4xx
 * are failures with Novu's message. The key never appears in a log line or an error.
 */
public final class NovuClient {
    public static final String CLOUD = "https://api.novu.co";
    public static final int MAX_BULK = 100;
    static final int BULK_COST = 100;
    private static final Logger LOG = LoggerFactory.getLogger(NovuClient.class);

    /** One trigger: the workflow, its subscribers, the payload (a JSON object) and the deterministic transaction id. */
    public record Event(String workflow, List<String> subscriberIds, String payloadJson, String transactionId) {
        public ObjectNode toJson() {
            ObjectNode event = RuleJson.JSON.createObjectNode().put("name", workflow);
            ArrayNode to = event.putArray("to");
            subscriberIds.forEach(id -> to.addObject().put("subscriberId", id));
            try {
                event.set("payload", RuleJson.JSON.readTree(payloadJson));
            } catch (IOException e) {
                throw new IllegalArgumentException("the payload is not JSON", e);
            }
            return event.put("transactionId", transactionId);
        }
    }

    /** How a trigger or cancel ended: one of the {@code OUTCOME_*} names, with Novu's reason when it failed. */
    public record Outcome(String transactionId, String outcome, String reason, int httpStatus) {
        public boolean failed() {
            return FAILED.equals(outcome);
        }
    }

    /** Novu took the trigger (its {@code data.status} {@code processed}): accepted for its workflow, not yet delivered. */
    public static final String ACCEPTED = "accepted";
    /** What earlier versions recorded for {@link #ACCEPTED}. */
    public static final String ACCEPTED_BEFORE_0_3 = "processed";
    static final String WORKFLOW_NOT_FOUND = "workflow_not_found";
    public static final String ALREADY_TRIGGERED = "already_triggered";
    public static final String FAILED = "failed";
    public static final String CANCELLED = "cancelled";
    public static final String NOTHING_PENDING = "nothing_pending";

    private final String baseUrl;
    private final String authorization;
    private final BooleanSupplier stopping;
    private final Duration requestTimeout;
    private final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private final AtomicLong rateLimited = new AtomicLong();
    private final AtomicLong retried = new AtomicLong();
    private final Set<String> warned = ConcurrentHashMap.newKeySet();
    private volatile long resetAtNanos;
    private volatile int remaining = Integer.MAX_VALUE;

    /** {@code baseUrl}: Novu's API root ({@link #CLOUD}, or a self-hosted one; a trailing {@code /v1} is accepted). */
    public NovuClient(String baseUrl, String apiKey, BooleanSupplier stopping, Duration requestTimeout) {
        this.baseUrl = normalized(baseUrl);
        this.authorization = "ApiKey " + apiKey;
        this.stopping = stopping;
        this.requestTimeout = requestTimeout;
    }

    /** The API root requests go to: no trailing slash, no {@code /v1}. */
    public static String normalized(String baseUrl) {
        String url = baseUrl.strip();
        while (url.endsWith("/")) {
            url = url.substring(0, url.length() - 1);
        }
        return url.endsWith("/v1") ? url.substring(0, url.length() - 3) : url;
    }

    public Outcome trigger(Event event) throws DeliveryStopped, InterruptedException {
        HttpResponse<String> response = exchange("POST", "/v1/events/trigger", event.toJson().toString(), event.transactionId(), 1);
        if (response.statusCode() / 100 == 2) {
            return outcomeOf(event.transactionId(), data(response), response.statusCode());
        }
        if (response.statusCode() == 409) {
            return new Outcome(event.transactionId(), ALREADY_TRIGGERED, reason(response), 409);
        }
        return failure(event.transactionId(), response);
    }

    /** Up to {@link #MAX_BULK} triggers in one request; one outcome per event, in order. */
    public List<Outcome> triggerBulk(List<Event> events) throws DeliveryStopped, InterruptedException {
        if (events.isEmpty() || events.size() > MAX_BULK) {
            throw new IllegalArgumentException("a bulk trigger takes 1 to " + MAX_BULK + " events, not " + events.size());
        }
        ObjectNode body = RuleJson.JSON.createObjectNode();
        ArrayNode array = body.putArray("events");
        events.forEach(event -> array.add(event.toJson()));
        String key = "bulk-" + digest(String.join(",", events.stream().map(Event::transactionId).toList()));
        HttpResponse<String> response = exchange("POST", "/v1/events/trigger/bulk", body.toString(), key, BULK_COST);
        List<Outcome> outcomes = new ArrayList<>();
        JsonNode results = data(response);
        for (int i = 0; i < events.size(); i++) {
            String transactionId = events.get(i).transactionId();
            if (response.statusCode() / 100 != 2) {
                outcomes.add(new Outcome(transactionId, FAILED, reason(response), response.statusCode()));
            } else if (results.isArray() && results.size() == events.size()) {
                outcomes.add(outcomeOf(transactionId, results.get(i), response.statusCode()));
            } else {
                outcomes.add(new Outcome(transactionId, FAILED, "the bulk answer has no result for each event", response.statusCode()));
            }
        }
        return outcomes;
    }

    /** Cancels what is still pending or delayed of an earlier trigger (sent steps stay sent). */
    public Outcome cancel(String transactionId) throws DeliveryStopped, InterruptedException {
        HttpResponse<String> response = exchange("DELETE", "/v1/events/trigger/" + URLEncoder.encode(transactionId, StandardCharsets.UTF_8),
                null, "cancel-" + transactionId, 1);
        if (response.statusCode() / 100 == 2) {
            JsonNode data = data(response);
            return new Outcome(transactionId, data.isBoolean() && !data.asBoolean() ? NOTHING_PENDING : CANCELLED, "", response.statusCode());
        }
        if (response.statusCode() == 404) {
            return new Outcome(transactionId, NOTHING_PENDING, reason(response), 404);
        }
        return new Outcome(transactionId, FAILED, reason(response), response.statusCode());
    }

    /** 429 answers waited out. */
    public long rateLimited() {
        return rateLimited.get();
    }

    /** Attempts retried after a 5xx, a timeout, an unreachable Novu or a refused key. */
    public long retried() {
        return retried.get();
    }

    private HttpResponse<String> exchange(String method, String path, String body, String idempotencyKey, int cost)
            throws DeliveryStopped, InterruptedException {
        Backoff backoff = new Backoff(stopping);
        int attempt = 0;
        while (true) {
            if (remaining < cost) {
                backoff.waitUntil(resetAtNanos);
                remaining = Integer.MAX_VALUE;
            }
            backoff.checkStop();
            HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(baseUrl + path)).timeout(requestTimeout)
                    .header("Authorization", authorization).header("Idempotency-Key", attempt == 0 ? idempotencyKey : idempotencyKey + "-r" + attempt)
                    .header("Accept", "application/json");
            if (body == null) {
                request.method(method, HttpRequest.BodyPublishers.noBody());
            } else {
                request.header("Content-Type", "application/json").method(method, HttpRequest.BodyPublishers.ofString(body));
            }
            HttpResponse<String> response;
            try {
                response = client.send(request.build(), HttpResponse.BodyHandlers.ofString());
            } catch (IOException e) {
                retried.incrementAndGet();
                attempt++;
                warnOnce("unreachable", "Novu at " + baseUrl + " did not answer (" + e.getClass().getSimpleName() + "); retrying with backoff");
                backoff.pause();
                continue;
            }
            rememberRateLimit(response, cost);
            int status = response.statusCode();
            Optional<Duration> retryAfter = Backoff.seconds(response.headers().firstValue("Retry-After").orElse(null));
            if (status / 100 == 2) {
                return response;
            } else if (status == 429) {
                rateLimited.incrementAndGet();
                backoff.waitFor(retryAfter.or(() -> Backoff.seconds(response.headers().firstValue("RateLimit-Reset").orElse(null)))
                        .orElseGet(backoff::grow));
            } else if (status == 409 && retryAfter.isPresent()) {
                backoff.waitFor(retryAfter.get());
            } else if (status / 100 == 5 || status == 401 || status == 403) {
                retried.incrementAndGet();
                attempt++;
                warnOnce(status / 100 == 5 ? "5xx" : "key", status / 100 == 5 ? "Novu answered HTTP " + status + "; retrying with backoff"
                        : "Novu refuses the API key (HTTP " + status + "): nothing is delivered until it accepts it; retrying with backoff");
                backoff.pause();
            } else if ((status == 404 || status == 405) && method.equals("POST")) {
                retried.incrementAndGet();
                attempt++;
                warnOnce("endpoint", "Novu at " + baseUrl + " answers HTTP " + status + " to " + method + " " + path
                        + ": not Novu's API root (check NOVU_URL, a proxy); nothing is delivered until it answers, retrying with backoff");
                backoff.pause();
            } else {
                return response;
            }
        }
    }

    private void rememberRateLimit(HttpResponse<String> response, int cost) {
        Optional<String> left = response.headers().firstValue("RateLimit-Remaining");
        Optional<Duration> reset = Backoff.seconds(response.headers().firstValue("RateLimit-Reset").orElse(null));
        if (left.isPresent() && reset.isPresent()) {
            try {
                remaining = Integer.parseInt(left.get().trim());
                resetAtNanos = System.nanoTime() + reset.get().toNanos();
            } catch (NumberFormatException e) {
                remaining = Integer.MAX_VALUE;
            }
        } else if (remaining != Integer.MAX_VALUE) {
            remaining = Math.max(0, remaining - cost);
        }
    }

    private Outcome failure(String transactionId, HttpResponse<String> response) {
        String reason = reason(response);
        if (response.statusCode() == 422 && reason.contains(WORKFLOW_NOT_FOUND)) {
            warnWorkflowNotFound();
        }
        return new Outcome(transactionId, FAILED, reason, response.statusCode());
    }

    private void warnWorkflowNotFound() {
        warnOnce(WORKFLOW_NOT_FOUND, "Novu has no such workflow (422 " + WORKFLOW_NOT_FOUND + "): every change fails until it exists; "
                + "check NOVU_WORKFLOW_NAME (--workflow)");
    }

    private Outcome outcomeOf(String transactionId, JsonNode result, int httpStatus) {
        String status = result.path("status").asText("");
        if ("processed".equals(status) && result.path("acknowledged").asBoolean(true)) {
            return new Outcome(transactionId, ACCEPTED, "", httpStatus);
        }
        List<String> errors = new ArrayList<>();
        result.path("error").forEach(error -> errors.add(error.asText()));
        if (errors.contains(WORKFLOW_NOT_FOUND)) {
            warnWorkflowNotFound();
        }
        String reason = "status " + (status.isEmpty() ? "missing" : status) + (errors.isEmpty() ? "" : ": " + String.join("; ", errors));
        return new Outcome(transactionId, FAILED, ShortText.cut(reason, 300), httpStatus);
    }

    private static JsonNode data(HttpResponse<String> response) {
        try {
            JsonNode body = RuleJson.JSON.readTree(response.body() == null ? "" : response.body());
            return body == null ? RuleJson.JSON.missingNode() : body.has("data") ? body.get("data") : body;
        } catch (IOException | RuntimeException e) {
            return RuleJson.JSON.missingNode();
        }
    }

    private static String reason(HttpResponse<String> response) {
        JsonNode body = data(response);
        try {
            JsonNode whole = RuleJson.JSON.readTree(response.body() == null ? "" : response.body());
            if (whole != null && whole.has("message")) {
                JsonNode message = whole.get("message");
                return "HTTP " + response.statusCode() + ": " + ShortText.cut(message.isTextual() ? message.asText() : message.toString(), 300);
            }
        } catch (IOException | RuntimeException e) {
            // not JSON
        }
        String text = body.isMissingNode() ? (response.body() == null ? "" : response.body().strip()) : body.toString();
        return "HTTP " + response.statusCode() + (text.isEmpty() ? "" : ": " + ShortText.cut(text, 300));
    }

    private void warnOnce(String what, String message) {
        if (warned.add(what)) {
            LOG.warn(message);
        }
    }

    /** A short stable digest of text (hex): idempotency keys and transaction ids. */
    public static String digest(String text) {
        try {
            byte[] hash = MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(hash, 0, 16);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
