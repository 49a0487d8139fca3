package io.streamwatch.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.OptionalDouble;
import org.mindrot.jbcrypt.BCrypt;

/**
 * Debian's {@code prometheus-pushgateway} as a real process on a loopback port, without persistence so
 * that no state leaks between runs.
 */
public final class LocalPushgateway extends ExternalProcess {
    public static final String BINARY = "prometheus-pushgateway";
    private final int port;
    /** The Authorization header the tests read with, when the Pushgateway requires basic auth. */
    private final String authorization;

    private LocalPushgateway(int port, Path workDir, List<String> more, String authorization) {
        super("pushgateway-" + port, concat(List.of(BINARY,
                "--web.listen-address=127.0.0.1:" + port,
                "--persistence.file=",
                "--log.level=warn"), more), workDir);
        this.port = port;
        this.authorization = authorization;
        awaitReady(() -> Http.get(url() + "/-/ready", authorization).isPresent(), Duration.ofSeconds(20));
    }

    public static LocalPushgateway start(Path workDir) {
        return new LocalPushgateway(FreePorts.next(), workDir, List.of(), null);
    }

    /** Starts on a given port, e.g. where a job has been pushing while no Pushgateway was up. */
    public static LocalPushgateway startOn(int port, Path workDir) {
        return new LocalPushgateway(port, workDir, List.of(), null);
    }

    /**
     * A Pushgateway that answers 401 unless the request carries basic auth for this user and password, through
     * its {@code --web.config.file} (the password stored as a bcrypt hash, as the Prometheus exporter toolkit requires).
     */
    public static LocalPushgateway startWithBasicAuth(Path workDir, String user, String password) {
        try {
            Files.createDirectories(workDir);
            Path webConfig = workDir.resolve("web-config.yml");
            Files.writeString(webConfig, "basic_auth_users:\n  " + user + ": "
                    + BCrypt.hashpw(password, BCrypt.gensalt(4)) + "\n");
            String basic = "Basic " + Base64.getEncoder().encodeToString(
                    (user + ":" + password).getBytes(StandardCharsets.UTF_8));
            return new LocalPushgateway(FreePorts.next(), workDir, List.of("--web.config.file=" + webConfig), basic);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static List<String> concat(List<String> first, List<String> second) {
        List<String> all = new ArrayList<>(first);
        all.addAll(second);
        return all;
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
        return new PrometheusText(Http.get(url() + "/metrics", authorization).orElse(""));
    }

    /** The value of one pushed series, if the Pushgateway holds it. */
    public OptionalDouble value(String metric, Map<String, String> labels) {
        return metrics().value(metric, labels);
    }
}
