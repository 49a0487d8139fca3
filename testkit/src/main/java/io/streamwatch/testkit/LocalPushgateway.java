package io.streamwatch.testkit;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.OptionalDouble;

/**
 * Debian's {@code prometheus-pushgateway} as a real process on a loopback port, without persistence so
 * that no state leaks between runs.
 */
public final class LocalPushgateway extends ExternalProcess {
    public static final String BINARY = "prometheus-pushgateway";
    private final int port;

    private LocalPushgateway(int port, Path workDir) {
        super("pushgateway-" + port, List.of(BINARY,
                "--web.listen-address=127.0.0.1:" + port,
                "--persistence.file=",
                "--log.level=warn"), workDir);
        this.port = port;
        awaitReady(() -> Http.get(url() + "/-/ready").isPresent(), Duration.ofSeconds(20));
    }

    public static LocalPushgateway start(Path workDir) {
        return new LocalPushgateway(FreePorts.next(), workDir);
    }

    /** Starts on a given port, e.g. where a job has been pushing while no Pushgateway was up. */
    public static LocalPushgateway startOn(int port, Path workDir) {
        return new LocalPushgateway(port, workDir);
    }

    public int port() {
        return port;
    }

    /** host:port, as jobs and listeners take it. */
    public String address() {
        return "127.0.0.1:" + port;
    }

    public String url() {
        return "http://" + address();
    }

    /** What the Pushgateway serves on /metrics now. */
    public PrometheusText metrics() {
        return new PrometheusText(Http.get(url() + "/metrics").orElse(""));
    }

    /** The value of one pushed series, if the Pushgateway holds it. */
    public OptionalDouble value(String metric, Map<String, String> labels) {
        return metrics().value(metric, labels);
    }
}
