package io.streamwatch.testkit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A real HTTP endpoint that records what Alertmanager delivers: every POST body with the time it arrived,
 * for the webhook receiver (Alertmanager's JSON) and the Discord one (Discord's embeds) alike.
 */
public final class WebhookReceiver implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** One delivery: the path it was posted to, when it arrived, and its body. */
    public record Delivery(String path, long receivedAtMillis, JsonNode body) {
        /** For Alertmanager's webhook payload: firing or resolved, and the alert names in it. */
        public String status() {
            return body.path("status").asText();
        }

        public List<String> alertNames() {
            return body.path("alerts").findValuesAsText("alertname");
        }
    }

    private final HttpServer server;
    private final List<Delivery> deliveries = new CopyOnWriteArrayList<>();

    public WebhookReceiver() {
        try {
            server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        server.createContext("/", exchange -> {
            try (InputStream body = exchange.getRequestBody()) {
                deliveries.add(new Delivery(exchange.getRequestURI().getPath(), System.currentTimeMillis(), JSON.readTree(body)));
                exchange.sendResponseHeaders(204, -1);
            } finally {
                exchange.close();
            }
        });
        server.start();
    }

    public String url(String path) {
        return "http://127.0.0.1:" + server.getAddress().getPort() + path;
    }

    public List<Delivery> deliveries() {
        return List.copyOf(deliveries);
    }

    /** The first delivery at {@code path} after {@code sinceMillis} with this status that names the alert. */
    public java.util.Optional<Delivery> first(String path, String alertName, String status, long sinceMillis) {
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
