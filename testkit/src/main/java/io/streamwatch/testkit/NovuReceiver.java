package io.streamwatch.testkit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.function.Consumer;

/**
 * A local HTTP peer speaking Novu's documented event API, for tests and the Quick start: {@code POST
 * /v1/events/trigger}, {@code POST /v1/events/trigger/bulk} (at most 100 events) and {@code DELETE
 * /v1/events/trigger/{transactionId}}, behind {@code Authorization: ApiKey <key>} (401 otherwise). Like Novu it
 * validates the body (400 with a message), answers 422 {@code workflow_not_found} for a workflow it does not have
 * (per event in a bulk), answers 201 to a trigger whose {@code transactionId} it already has and drops it (its worker
 * does), caches each {@code Idempotency-Key}'s answer, errors included (replayed for the same body, 422 for another;
 * only a 409 "still running", a 401 and a 429 are not kept), answers a cancel with nothing pending {@code data: false}, and can run a token
 * bucket with {@code RateLimit-*} headers (a bulk costs 100, 429 with {@code Retry-After} when empty). It records every
 * request, and can be scripted to answer the next requests otherwise: 201 with a status other than
 * {@code processed}, 429, 500, or hang.
 */
public final class NovuReceiver implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** One request as received: method, path, body (or null), lower-case headers, arrival time, status answered. */
    public record Request(String method, String path, JsonNode body, Map<String, String> headers, long receivedAtMillis, int answered) {
    }

    /** A trigger Novu processed: transaction id, workflow, subscriber ids, payload, and when it arrived. */
    public record Trigger(String transactionId, String workflow, List<String> subscriberIds, JsonNode payload, long receivedAtMillis) {
    }

    /** A scripted answer for the next request: an HTTP status with body and headers, a trigger status, or a hang. */
    public record Reply(int status, String body, Map<String, String> headers, String triggerStatus, Duration hang) {
        public static Reply rateLimited(int retryAfterSeconds) {
            return new Reply(429, "{\"statusCode\":429,\"message\":\"ThrottlerException: Too Many Requests\"}",
                    Map.of("Retry-After", String.valueOf(retryAfterSeconds)), null, Duration.ZERO);
        }

        public static Reply status(int status) {
            return new Reply(status, "{\"statusCode\":" + status + ",\"message\":\"scripted " + status + "\"}", Map.of(), null, Duration.ZERO);
        }

        /** 201 as Novu answers a trigger it did not deliver, e.g. {@code trigger_not_active}. */
        public static Reply triggerStatus(String status) {
            return new Reply(201, null, Map.of(), status, Duration.ZERO);
        }

        /** No answer for this long (then the request is handled as usual, if the caller still waits). */
        public static Reply hang(Duration duration) {
            return new Reply(0, null, Map.of(), null, duration);
        }
    }

    private record Answer(int status, String body, Map<String, String> headers) {
    }

    private record Cached(String bodyDigest, Answer answer) {
    }

    private final String apiKey;
    private final HttpServer server;
    private final List<Request> requests = new CopyOnWriteArrayList<>();
    private final List<Trigger> triggers = new CopyOnWriteArrayList<>();
    private final List<String> cancels = new CopyOnWriteArrayList<>();
    private final Set<String> transactionIds = ConcurrentHashMap.newKeySet();
    private final Set<String> cancelled = ConcurrentHashMap.newKeySet();
    private volatile Set<String> workflows;
    private final Map<String, Cached> idempotency = new ConcurrentHashMap<>();
    private final ConcurrentLinkedQueue<Reply> nextReplies = new ConcurrentLinkedQueue<>();
    private volatile Duration delay = Duration.ZERO;
    private volatile Consumer<String> printer = line -> { };
    private int bucketSize;
    private long windowMillis;
    private double tokens;
    private long refilledAtMillis;

    public NovuReceiver(String apiKey) {
        this.apiKey = apiKey;
        // Headers and body go out as two writes: without TCP_NODELAY every answer waits for the client's delayed ACK (~40 ms).
        System.setProperty("sun.net.httpserver.nodelay", "true");
        try {
            server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        server.createContext("/", this::handle);
        server.setExecutor(Executors.newFixedThreadPool(8));
        server.start();
    }

    /** The API root to give as {@code NOVU_URL}. */
    public String url() {
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    /** Answers the next requests with these, in order; then as Novu would again. */
    public void replyNext(Reply... replies) {
        nextReplies.addAll(List.of(replies));
    }

    /** Every answer waits this long first (a slow Novu). */
    public void delay(Duration delay) {
        this.delay = delay;
    }

    /** Runs a token bucket of {@code size} tokens refilled every {@code window}, with Novu's {@code RateLimit-*} headers. */
    public synchronized void rateLimit(int size, Duration window) {
        bucketSize = size;
        windowMillis = window.toMillis();
        tokens = size;
        refilledAtMillis = System.currentTimeMillis();
    }

    /** Called with one line per trigger processed and per cancel (the Quick start prints them). */
    public void onEvent(Consumer<String> printer) {
        this.printer = printer;
    }

    public List<Request> requests() {
        return List.copyOf(requests);
    }

    /** Triggers processed, in arrival order (single and bulk), each transaction id once. */
    public List<Trigger> triggers() {
        return List.copyOf(triggers);
    }

    /** Transaction ids of the cancel requests answered 200, in order. */
    public List<String> cancels() {
        return List.copyOf(cancels);
    }

    private void handle(HttpExchange exchange) throws IOException {
        try (InputStream in = exchange.getRequestBody()) {
            String text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            Map<String, String> headers = new HashMap<>();
            exchange.getRequestHeaders().forEach((name, values) -> headers.put(name.toLowerCase(Locale.ROOT), values.get(0)));
            String method = exchange.getRequestMethod();
            String path = exchange.getRequestURI().getRawPath();
            JsonNode body = null;
            try {
                body = text.isBlank() ? null : JSON.readTree(text);
            } catch (IOException e) {
                body = null;
            }
            Reply scripted = nextReplies.poll();
            if (scripted != null && !scripted.hang().isZero()) {
                sleep(scripted.hang());
                scripted = null;
            }
            sleep(delay);
            Answer answer = answer(method, path, text, body, headers, scripted);
            requests.add(new Request(method, path, body, Map.copyOf(headers), System.currentTimeMillis(), answer.status()));
            answer.headers().forEach(exchange.getResponseHeaders()::add);
            byte[] bytes = answer.body().getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().add("Content-Type", "application/json");
            exchange.sendResponseHeaders(answer.status(), bytes.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(bytes);
            }
        } catch (IOException e) {
            // the caller gave up waiting (a hang): nothing to answer
        } finally {
            exchange.close();
        }
    }

    private Answer answer(String method, String path, String text, JsonNode body, Map<String, String> headers, Reply scripted) {
        if (!("ApiKey " + apiKey).equals(headers.get("authorization"))) {
            return error(401, "API Key not found");
        }
        Map<String, String> limitHeaders = new LinkedHashMap<>();
        int cost = path.endsWith("/bulk") ? 100 : 1;
        if (!takeTokens(cost, limitHeaders)) {
            return new Answer(429, error(429, "ThrottlerException: Too Many Requests").body(), limitHeaders);
        }
        String key = headers.get("idempotency-key");
        String digest = Integer.toHexString((method + path + text).hashCode());
        if (key != null) {
            Cached cached = idempotency.get(key);
            if (cached != null) {
                if (!cached.bodyDigest().equals(digest)) {
                    return error(422, "Request with key \"" + key + "\" is being reused for a different body");
                }
                Map<String, String> replayed = new LinkedHashMap<>(cached.answer().headers());
                replayed.put("Idempotency-Replay", "true");
                return new Answer(cached.answer().status(), cached.answer().body(), replayed);
            }
        }
        Answer answer;
        if (scripted != null && scripted.triggerStatus() == null) {
            Map<String, String> all = new LinkedHashMap<>(limitHeaders);
            all.putAll(scripted.headers());
            answer = new Answer(scripted.status(), scripted.body() == null ? "" : scripted.body(), all);
        } else {
            answer = route(method, path, body, scripted == null ? null : scripted.triggerStatus());
            Map<String, String> all = new LinkedHashMap<>(answer.headers());
            all.putAll(limitHeaders);
            answer = new Answer(answer.status(), answer.body(), all);
        }
        // Like Novu, every answer is kept for its key (24 h there), errors too; not "still running" (409), nor what its
        // guards answer before the request is taken (401, 429).
        if (key != null && answer.status() != 409 && answer.status() != 429 && answer.status() != 401) {
            idempotency.put(key, new Cached(digest, answer));
        }
        return answer;
    }

    private Answer route(String method, String path, JsonNode body, String triggerStatus) {
        if (method.equals("POST") && path.equals("/v1/events/trigger")) {
            String invalid = invalid(body);
            if (invalid != null) {
                return error(400, invalid);
            }
            if (unknownWorkflow(body)) {
                return new Answer(422, JSON.createObjectNode().put("statusCode", 422).put("message", "workflow_not_found")
                        .put("error", "Unprocessable Entity").toString(), Map.of());
            }
            if (!transactionIds.add(body.path("transactionId").asText())) {
                return data(201, JSON.createObjectNode().put("acknowledged", true).put("status", "processed")
                        .put("transactionId", body.path("transactionId").asText()));
            }
            return data(201, result(body, triggerStatus));
        }
        if (method.equals("POST") && path.equals("/v1/events/trigger/bulk")) {
            JsonNode events = body == null ? null : body.get("events");
            if (events == null || !events.isArray() || events.isEmpty() || events.size() > 100) {
                return error(400, "events must be an array of 1 to 100 events");
            }
            for (JsonNode event : events) {
                String invalid = invalid(event);
                if (invalid != null) {
                    return error(400, invalid);
                }
            }
            ArrayNode results = JSON.createArrayNode();
            for (JsonNode event : events) {
                if (unknownWorkflow(event)) {
                    results.add(JSON.createObjectNode().put("acknowledged", true).put("status", "error")
                            .put("transactionId", event.path("transactionId").asText())
                            .set("error", JSON.createArrayNode().add("workflow_not_found")));
                } else if (!transactionIds.add(event.path("transactionId").asText())) {
                    results.add(JSON.createObjectNode().put("acknowledged", true).put("status", "processed")
                            .put("transactionId", event.path("transactionId").asText()));
                } else {
                    results.add(result(event, triggerStatus));
                }
            }
            return data(201, results);
        }
        if (method.equals("DELETE") && path.startsWith("/v1/events/trigger/")) {
            String transactionId = URLDecoder.decode(path.substring("/v1/events/trigger/".length()), StandardCharsets.UTF_8);
            boolean pending = transactionIds.contains(transactionId) && cancelled.add(transactionId);
            cancels.add(transactionId);
            printer.accept("cancel  " + transactionId + (pending ? "" : " (nothing pending)"));
            return data(200, JSON.getNodeFactory().booleanNode(pending));
        }
        return error(404, "Cannot " + method + " " + path);
    }

    private boolean unknownWorkflow(JsonNode event) {
        Set<String> known = workflows;
        return known != null && !known.contains(event.path("name").asText());
    }

    /** The workflows this Novu has: a trigger of another is answered 422 workflow_not_found (any name when never set). */
    public void workflows(String... names) {
        workflows = Set.of(names);
    }

    private ObjectNode result(JsonNode event, String triggerStatus) {
        String transactionId = event.path("transactionId").asText();
        String status = triggerStatus == null ? "processed" : triggerStatus;
        ObjectNode result = JSON.createObjectNode().put("acknowledged", true).put("status", status).put("transactionId", transactionId);
        if (status.equals("processed")) {
            List<String> subscribers = new ArrayList<>();
            event.path("to").forEach(to -> subscribers.add(to.isTextual() ? to.asText() : to.path("subscriberId").asText()));
            triggers.add(new Trigger(transactionId, event.path("name").asText(), List.copyOf(subscribers), event.path("payload"),
                    System.currentTimeMillis()));
            printer.accept("trigger " + event.path("name").asText() + " to " + String.join(",", subscribers) + " " + event.path("payload")
                    + " (" + transactionId + ")");
        } else {
            result.set("error", JSON.createArrayNode().add("scripted " + status));
        }
        return result;
    }

    private static String invalid(JsonNode event) {
        if (event == null || !event.isObject()) {
            return "the body must be a JSON object";
        }
        if (!event.path("name").isTextual() || event.path("name").asText().isBlank()) {
            return "name should not be empty";
        }
        JsonNode to = event.path("to");
        if (to.isMissingNode() || (to.isArray() && to.isEmpty())) {
            return "to should not be empty";
        }
        for (JsonNode recipient : to.isArray() ? to : JSON.createArrayNode().add(to)) {
            String id = recipient.isTextual() ? recipient.asText() : recipient.path("subscriberId").asText("");
            if (id.isBlank()) {
                return "to.subscriberId should not be empty";
            }
        }
        if (event.has("payload") && !event.get("payload").isObject()) {
            return "payload must be an object";
        }
        return null;
    }

    private synchronized boolean takeTokens(int cost, Map<String, String> headers) {
        if (bucketSize == 0) {
            return true;
        }
        long now = System.currentTimeMillis();
        if (now - refilledAtMillis >= windowMillis) {
            tokens = bucketSize;
            refilledAtMillis = now;
        }
        long resetSeconds = Math.max(1, (refilledAtMillis + windowMillis - now + 999) / 1000);
        boolean taken = tokens >= cost;
        if (taken) {
            tokens -= cost;
        } else {
            headers.put("Retry-After", String.valueOf(resetSeconds));
        }
        headers.put("RateLimit-Limit", String.valueOf(bucketSize));
        headers.put("RateLimit-Remaining", String.valueOf((long) tokens));
        headers.put("RateLimit-Reset", String.valueOf(resetSeconds));
        return taken;
    }

    private static Answer data(int status, JsonNode data) {
        ObjectNode body = JSON.createObjectNode();
        body.set("data", data);
        return new Answer(status, body.toString(), Map.of());
    }

    private static Answer error(int status, String message) {
        return new Answer(status, JSON.createObjectNode().put("statusCode", status).put("message", message).toString(), Map.of());
    }

    private static void sleep(Duration duration) {
        if (duration.isZero()) {
            return;
        }
        try {
            Thread.sleep(duration.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
