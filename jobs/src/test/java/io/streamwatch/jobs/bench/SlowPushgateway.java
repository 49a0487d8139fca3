package io.streamwatch.jobs.bench;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.net.HttpURLConnection;
import java.net.InetSocketAddress;
import java.net.URL;
import java.util.concurrent.Executors;

/** A proxy in front of a real Pushgateway that answers every request {@code delayMillis} late. */
final class SlowPushgateway implements AutoCloseable {
    private final HttpServer server;

    SlowPushgateway(String target, long delayMillis) throws IOException {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.setExecutor(Executors.newCachedThreadPool());
        server.createContext("/", exchange -> {
            try {
                Thread.sleep(delayMillis);
                HttpURLConnection forward = (HttpURLConnection) new URL("http://" + target + exchange.getRequestURI()).openConnection();
                forward.setRequestMethod(exchange.getRequestMethod());
                forward.setDoOutput(true);
                String type = exchange.getRequestHeaders().getFirst("Content-Type");
                if (type != null) {
                    forward.setRequestProperty("Content-Type", type);
                }
                try (InputStream body = exchange.getRequestBody()) {
                    forward.getOutputStream().write(body.readAllBytes());
                }
                int status = forward.getResponseCode();
                exchange.sendResponseHeaders(status, -1);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                exchange.sendResponseHeaders(503, -1);
            } finally {
                exchange.close();
            }
        });
        server.start();
    }

    String address() {
        return "127.0.0.1:" + server.getAddress().getPort();
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
