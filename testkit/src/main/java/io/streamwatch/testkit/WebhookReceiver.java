package io.streamwatch.testkit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;

/**
 * A real HTTP endpoint that records what is posted to it: every POST body with the time it arrived and the
 * status it was answered, for Alertmanager's webhook JSON and Discord's embeds alike. It answers 204 unless
 * told otherwise: scripted replies for the next requests (Discord's 429 with {@code retry_after}, a 500), or a
 * fixed reply for a path (a deleted webhook's 404).
 *
 * <p>{@link #discord()} stands in for Discord's webhook API as its documentation and OpenAPI spec describe it, no
 * kinder: a request without a {@code User-Agent} or with a body that is not a message within Discord's limits is
 * answered 400 with {@code errors}; {@code ?wait=true} is answered 200 with the message saved, without it 204 (queued);
 * every 2xx carries the {@code X-RateLimit-*} headers; and it can answer a global or long 429 and 401 code 50027.
 */
public final class WebhookReceiver implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** One request: the path it was posted to, when it arrived, its body and headers, and the status answered. */
    public record Delivery(String path, long receivedAtMillis, JsonNode body, Map<String, String> headers, int answered, String query) {
        /** For Alertmanager's webhook payload: firing or resolved, and the alert names in it. */
        public String status() {
            return body.path("status").asText();
        }

        public List<String> alertNames() {
            return body.path("alerts").findValuesAsText("alertname");
        }

        public boolean accepted() {
            return answered / 100 == 2;
        }
    }

    /** An answer: status, JSON body (or null) and headers. */
    public record Reply(int status, String body, Map<String, String> headers) {
        public static final Reply NO_CONTENT = new Reply(204, null, Map.of());

        /** Discord's rate limit answer: 429 with {@code retry_after} (float seconds) in the body and the headers. */
        public static Reply rateLimited(double retryAfterSeconds) {
            return new Reply(429, "{\"message\": \"You are being rate limited.\", \"retry_after\": " + retryAfterSeconds
                    + ", \"global\": false}", Map.of("Retry-After", String.valueOf((long) Math.ceil(retryAfterSeconds)),
                    "X-RateLimit-Remaining", "0", "X-RateLimit-Reset-After", String.valueOf(retryAfterSeconds)));
        }

        /** Discord's global rate limit: every webhook of the caller's IP waits. */
        public static Reply globalRateLimited(double retryAfterSeconds) {
            return new Reply(429, "{\"message\": \"You are being rate limited.\", \"retry_after\": " + retryAfterSeconds
                    + ", \"global\": true}", Map.of("Retry-After", String.valueOf((long) Math.ceil(retryAfterSeconds)),
                    "X-RateLimit-Global", "true", "X-RateLimit-Scope", "global"));
        }

        /** A 429 that says nothing of how long to wait. */
        public static Reply rateLimitedWithoutWait() {
            return new Reply(429, "{\"message\": \"You are being rate limited.\", \"global\": false}", Map.of());
        }

        /** Discord's answer to a webhook whose token is wrong or was reset: 401, code 50027. */
        public static Reply invalidWebhookToken() {
            return new Reply(401, "{\"message\": \"Invalid Webhook Token\", \"code\": 50027}", Map.of());
        }

        public static Reply status(int status) {
            return new Reply(status, "{\"message\": \"status " + status + "\", \"code\": 0}", Map.of());
        }
    }

    private final HttpServer server;
    private final List<Delivery> deliveries = new CopyOnWriteArrayList<>();
    private final ConcurrentLinkedQueue<Reply> nextReplies = new ConcurrentLinkedQueue<>();
    private final Map<String, Reply> pathReplies = new ConcurrentHashMap<>();
    private final boolean discord;
    private final java.util.concurrent.atomic.AtomicLong messageIds = new java.util.concurrent.atomic.AtomicLong(1_000_000_000_000_000_000L);

    public WebhookReceiver() {
        this(false);
    }

    /** A peer that speaks Discord's webhook contract (see the class comment). */
    public static WebhookReceiver discord() {
        return new WebhookReceiver(true);
    }

    static {
        // The JDK's server writes a response's headers and body apart: without TCP_NODELAY, Nagle's algorithm and the
        // client's delayed ACK add 40 ms to every answer, a peer slower than the service it stands for. Read once per JVM.
        if (System.getProperty("sun.net.httpserver.nodelay") == null) {
            System.setProperty("sun.net.httpserver.nodelay", "true");
        }
    }

    private WebhookReceiver(boolean discord) {
        this.discord = discord;
        try {
            server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        server.createContext("/", this::handle);
        server.setExecutor(Executors.newFixedThreadPool(4));
        server.start();
    }

    private void handle(HttpExchange exchange) throws IOException {
        try (InputStream body = exchange.getRequestBody()) {
            String path = exchange.getRequestURI().getPath();
            String query = exchange.getRequestURI().getRawQuery();
            Map<String, String> headers = new HashMap<>();
            exchange.getRequestHeaders().forEach((name, values) -> headers.put(name.toLowerCase(Locale.ROOT), values.get(0)));
            byte[] raw = body.readAllBytes();
            JsonNode parsed;
            try {
                parsed = JSON.readTree(raw);
            } catch (IOException e) {
                parsed = null;
            }
            Reply reply = discord ? DiscordContract.refusal(headers, parsed) : null;
            if (reply == null) {
                reply = pathReplies.get(path);
            }
            if (reply == null) {
                reply = nextReplies.poll();
            }
            if (reply == null) {
                reply = discord ? DiscordContract.saved(query, parsed, path, messageIds.incrementAndGet()) : Reply.NO_CONTENT;
            }
            if (discord && reply.status() / 100 == 2) {
                DiscordContract.RATE_LIMIT_HEADERS.forEach(exchange.getResponseHeaders()::add);
            }
            deliveries.add(new Delivery(path, System.currentTimeMillis(), parsed, Map.copyOf(headers), reply.status(), query));
            reply.headers().forEach(exchange.getResponseHeaders()::add);
            if (reply.body() == null) {
                exchange.sendResponseHeaders(reply.status(), -1);
            } else {
                byte[] bytes = reply.body().getBytes(StandardCharsets.UTF_8);
                exchange.getResponseHeaders().add("Content-Type", "application/json");
                exchange.sendResponseHeaders(reply.status(), bytes.length);
                try (OutputStream out = exchange.getResponseBody()) {
                    out.write(bytes);
                }
            }
        } finally {
            exchange.close();
        }
    }

    public String url(String path) {
        return "http://127.0.0.1:" + server.getAddress().getPort() + path;
    }

    /** Answers the next requests (any path) with these, in order; then 204 again. */
    public void replyNext(Reply... replies) {
        nextReplies.addAll(List.of(replies));
    }

    /** Answers every request to this path with this reply (e.g. 404 for a deleted webhook). */
    public void replyAlways(String path, Reply reply) {
        pathReplies.put(path, reply);
    }

    /** Answers this path as any other again. */
    public void clearReply(String path) {
        pathReplies.remove(path);
    }

    /** Every request received, whatever it was answered. */
    public List<Delivery> deliveries() {
        return List.copyOf(deliveries);
    }

    /** The requests answered 2xx, to any path. */
    public List<Delivery> accepted() {
        return deliveries.stream().filter(Delivery::accepted).toList();
    }

    /** The requests to this path that were answered 2xx. */
    public List<Delivery> accepted(String path) {
        return deliveries.stream().filter(d -> d.path().equals(path) && d.accepted()).toList();
    }

    /** The first delivery at {@code path} after {@code sinceMillis} with this status that names the alert. */
    public Optional<Delivery> first(String path, String alertName, String status, long sinceMillis) {
        return deliveries.stream()
                .filter(d -> d.path().equals(path) && d.receivedAtMillis() >= sinceMillis)
                .filter(d -> d.status().equals(status) && d.alertNames().contains(alertName))
                .findFirst();
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
