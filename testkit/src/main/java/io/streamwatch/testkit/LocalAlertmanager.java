package io.streamwatch.testkit;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/** Debian's {@code prometheus-alertmanager} as a real process on a loopback port, without clustering. */
public final class LocalAlertmanager extends ExternalProcess {
    private final int port;

    private LocalAlertmanager(int port, Path config, Path workDir) {
        super("alertmanager-" + port, List.of("prometheus-alertmanager",
                "--config.file=" + config,
                "--web.listen-address=127.0.0.1:" + port,
                "--storage.path=" + workDir.resolve("alertmanager-" + port),
                "--cluster.listen-address=",
                "--log.level=warn"), workDir);
        this.port = port;
        awaitReady(() -> Http.get(url() + "/-/ready").isPresent(), Duration.ofSeconds(30));
    }

    public static LocalAlertmanager start(int port, Path config, Path workDir) {
        return new LocalAlertmanager(port, config, workDir);
    }

    public String url() {
        return "http://127.0.0.1:" + port;
    }

    /** The alerts Alertmanager holds now, as its v2 API returns them (JSON). */
    public String alertsJson() {
        return Http.get(url() + "/api/v2/alerts").orElse("[]");
    }
}
