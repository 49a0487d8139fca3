package io.streamwatch.listeners;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import io.streamwatch.testkit.LocalPushgateway;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.regex.Pattern;
import org.apache.spark.SparkConf;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Basic auth and bearer tokens reach the Pushgateway; a refusal is an outage; no secret is ever printed. */
class CredentialsTest {
    private static final String PASSWORD = "s3cr3t-p4ss&word";
    private static final PushGroup GROUP = new PushGroup("credentials_test", Map.of("query", "q"));

    @TempDir
    Path dir;

    private static List<MetricSample> version(double value) {
        return List.of(MetricSample.of("test_version", "A version.", value));
    }

    @Test
    void aPrintedAddressNeverShowsAPasswordWhateverItHolds() {
        for (String password : List.of("s3cret", "has/slash", "has@at", "a/b@c:d", "%40encoded")) {
            String printed = PushTarget.redacted("https://streamwatch:" + password + "@pushgateway.example:9091/base");
            assertFalse(printed.contains(password) || printed.contains(password.substring(password.length() / 2)), printed);
            assertTrue(printed.endsWith("@pushgateway.example:9091/base"), printed);
        }
    }

    @Test
    void basicAuthFromTheAddressReachesAPushgatewayThatRequiresIt() {
        try (LocalPushgateway pushgateway = LocalPushgateway.startWithBasicAuth(dir, "streamwatch", PASSWORD);
             CapturedLogs logs = new CapturedLogs();
             PushgatewayPublisher publisher = new PushgatewayPublisher(
                     "http://streamwatch:" + java.net.URLEncoder.encode(PASSWORD, java.nio.charset.StandardCharsets.UTF_8)
                             + "@" + pushgateway.address())) {
            publisher.publish(GROUP, () -> version(7));
            assertTrue(publisher.flush(Duration.ofSeconds(10)));
            assertEquals(7, pushgateway.value("test_version", Map.of("job", "credentials_test")).getAsDouble());
            assertFalse(publisher.address().contains(PASSWORD), publisher.address());
            assertFalse(logs.text().contains("s3cr3t"), logs.text());
        }
    }

    @Test
    void basicAuthFromSeparateSettingsAndAPasswordFile() throws Exception {
        Path passwordFile = dir.resolve("password");
        Files.writeString(passwordFile, PASSWORD + "\n");
        try (LocalPushgateway pushgateway = LocalPushgateway.startWithBasicAuth(dir.resolve("pg"), "streamwatch", PASSWORD)) {
            StreamwatchSettings settings = StreamwatchSettings.from(new SparkConf(false)
                    .set(StreamwatchSettings.PUSHGATEWAY_ADDRESS, pushgateway.address())
                    .set(StreamwatchSettings.USERNAME, "streamwatch")
                    .set(StreamwatchSettings.PASSWORD_FILE, passwordFile.toString()));
            try (PushgatewayPublisher publisher = new PushgatewayPublisher(settings.pushgateway().orElseThrow())) {
                publisher.publish(GROUP, () -> version(8));
                assertTrue(publisher.flush(Duration.ofSeconds(10)));
                assertEquals(8, pushgateway.value("test_version", Map.of("job", "credentials_test")).getAsDouble());
            }
        }
    }

    @Test
    void aRefusedPasswordIsAnOutageWithOneWarningThatNamesNoSecret() {
        try (LocalPushgateway pushgateway = LocalPushgateway.startWithBasicAuth(dir, "streamwatch", PASSWORD);
             CapturedLogs logs = new CapturedLogs();
             PushgatewayPublisher publisher = new PushgatewayPublisher(PushTarget.parse(pushgateway.address(),
                     new PushTarget.Credentials(java.util.Optional.of("streamwatch"), java.util.Optional.of("wrong-p4ss"),
                             java.util.Optional.empty())))) {
            publisher.publish(GROUP, () -> version(9));
            assertFalse(publisher.flush(Duration.ofSeconds(3)), "a refusal is not a delivery");
            assertTrue(publisher.isInOutage());
            assertEquals(1, publisher.outages());
            assertEquals(1, Pattern.compile("refuses our credentials \\(HTTP 401\\)").matcher(logs.text()).results().count(), logs.text());
            assertFalse(logs.text().contains("wrong-p4ss"), logs.text());
            assertFalse(pushgateway.value("test_version", Map.of("job", "credentials_test")).isPresent());
        }
    }

    @Test
    void aBearerTokenIsSentAsSuch() throws Exception {
        List<String> authorizations = new CopyOnWriteArrayList<>();
        HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/", exchange -> {
            authorizations.add(String.valueOf(exchange.getRequestHeaders().getFirst("Authorization")));
            exchange.getRequestBody().readAllBytes();
            exchange.sendResponseHeaders(200, -1);
            exchange.close();
        });
        server.start();
        try (PushgatewayPublisher publisher = new PushgatewayPublisher(StreamwatchSettings.from(new SparkConf(false)
                .set(StreamwatchSettings.PUSHGATEWAY_ADDRESS, "127.0.0.1:" + server.getAddress().getPort())
                .set(StreamwatchSettings.BEARER_TOKEN, "t0ken-value")).pushgateway().orElseThrow())) {
            publisher.publish(GROUP, () -> version(1));
            assertTrue(publisher.flush(Duration.ofSeconds(10)));
            assertEquals(List.of("Bearer t0ken-value"), authorizations);
        } finally {
            server.stop(0);
        }
    }

    @Test
    void sparkRedactsEverySecretHoldingKeyByDefault() {
        String regex = org.apache.spark.internal.config.package$.MODULE$.SECRET_REDACTION_PATTERN().defaultValueString();
        Pattern redaction = Pattern.compile(regex);
        for (String key : List.of(StreamwatchSettings.PASSWORD, StreamwatchSettings.PASSWORD_FILE, StreamwatchSettings.BEARER_TOKEN,
                StreamwatchSettings.BEARER_TOKEN_FILE)) {
            assertTrue(redaction.matcher(key).find(), key + " is redacted by " + regex);
        }
    }

    @Test
    void anAddressWithCredentialsIsNeverPrintedWithThem() {
        IllegalArgumentException bad = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> PushTarget.parse("htp://user:" + PASSWORD + "@host:9091"));
        assertFalse(bad.getMessage().contains("s3cr3t"), bad.getMessage());
        assertEquals("https://host:9091/base", PushTarget.parse("https://user:" + "pw@host:9091/base").toString());
    }
}
