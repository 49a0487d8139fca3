package io.streamwatch.demo;

import io.streamwatch.testkit.Http;
import io.streamwatch.testkit.PrometheusText;
import java.util.Map;
import java.util.OptionalDouble;

/** What the demo reads back from the Pushgateway's own /metrics. */
final class PushgatewayView {
    private final String address;
    private final String url;

    PushgatewayView(String address) {
        this.address = address;
        this.url = address.contains("://") ? address : "http://" + address;
    }

    String address() {
        return address;
    }

    String url() {
        return url;
    }

    PrometheusText metrics() {
        return new PrometheusText(Http.get(url + "/metrics")
                .orElseThrow(() -> new IllegalStateException("no answer from " + url + "/metrics")));
    }

    OptionalDouble value(String metric, Map<String, String> labels) {
        return metrics().value(metric, labels);
    }

    static String format(OptionalDouble value) {
        if (value.isEmpty()) {
            return "(not pushed)";
        }
        double v = value.getAsDouble();
        return v == Math.rint(v) ? String.valueOf((long) v) : String.format("%.1f", v);
    }
}
