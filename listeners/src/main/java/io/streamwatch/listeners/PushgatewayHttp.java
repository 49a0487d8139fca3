package io.streamwatch.listeners;

import io.prometheus.client.CollectorRegistry;
import io.prometheus.client.exporter.common.TextFormat;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.net.HttpURLConnection;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * The Pushgateway's HTTP API as its own documentation writes it: {@code PUT} a group's metrics, {@code DELETE} the
 * group. A job or label value outside the characters a path segment carries as they are is sent in the Pushgateway's
 * base64 form ({@code /query@base64/bXkgcXVlcnk=}), so {@code my query/äö} arrives as itself: the client library's
 * URL encoding turns a space into a {@code +}, which the Pushgateway keeps literally. Credentials go in a header,
 * never in the URL or an error.
 */
final class PushgatewayHttp implements PushgatewayPublisher.Delivery {
    private static final Pattern AS_IS = Pattern.compile("[A-Za-z0-9_.~-]+");
    private static final int CONNECT_TIMEOUT_MILLIS = 2_000;
    private static final int READ_TIMEOUT_MILLIS = 10_000;

    /** An answer other than 2xx, with its status. */
    static final class Refused extends IOException {
        final int status;

        Refused(int status, String message) {
            super(message);
            this.status = status;
        }
    }

    private final PushTarget target;

    PushgatewayHttp(PushTarget target) {
        this.target = target;
    }

    /** The path of a group below {@code /metrics}: {@code /job/<job>/<label>/<value>...}, labels in name order. */
    static String groupPath(PushGroup group) {
        StringBuilder path = new StringBuilder().append(segment("job", group.job()));
        new TreeMap<>(group.labels()).forEach((name, value) -> path.append(segment(name, value)));
        return path.toString();
    }

    private static String segment(String name, String value) {
        if (AS_IS.matcher(value).matches() && !value.equals(".") && !value.equals("..")) {
            return "/" + name + "/" + value;
        }
        String encoded = value.isEmpty() ? "=" : Base64.getUrlEncoder().encodeToString(value.getBytes(StandardCharsets.UTF_8));
        return "/" + name + "@base64/" + encoded;
    }

    @Override
    public void put(PushGroup group, List<MetricSample> samples) throws IOException {
        CollectorRegistry registry = PushgatewayPublisher.registryOf(samples);
        send("PUT", group, registry);
    }

    @Override
    public void delete(PushGroup group) throws IOException {
        send("DELETE", group, null);
    }

    private void send(String method, PushGroup group, CollectorRegistry registry) throws IOException {
        String base = target.url().toString().replaceAll("/+$", "");
        URL url = new URL(base + "/metrics" + groupPath(group));
        HttpURLConnection connection = (HttpURLConnection) url.openConnection();
        try {
            connection.setConnectTimeout(CONNECT_TIMEOUT_MILLIS);
            connection.setReadTimeout(READ_TIMEOUT_MILLIS);
            connection.setRequestMethod(method);
            target.authorization().ifPresent(value -> connection.setRequestProperty("Authorization", value));
            if (registry != null) {
                connection.setDoOutput(true);
                connection.setRequestProperty("Content-Type", TextFormat.CONTENT_TYPE_004);
                try (Writer body = new OutputStreamWriter(connection.getOutputStream(), StandardCharsets.UTF_8)) {
                    TextFormat.write004(body, registry.metricFamilySamples());
                }
            }
            int status = connection.getResponseCode();
            if (status / 100 != 2) {
                throw new Refused(status, "the Pushgateway at " + target + " answered " + status + " to " + method + " of group "
                        + group.job() + " " + new TreeMap<>(group.labels()) + ": " + firstLine(connection.getErrorStream()));
            }
            drain(connection.getInputStream());
        } finally {
            connection.disconnect();
        }
    }

    private static String firstLine(InputStream error) throws IOException {
        if (error == null) {
            return "(no body)";
        }
        try (error) {
            String body = new String(error.readNBytes(500), StandardCharsets.UTF_8);
            return body.lines().findFirst().orElse("(no body)").trim();
        }
    }

    private static void drain(InputStream body) throws IOException {
        try (body) {
            body.readAllBytes();
        }
    }
}
