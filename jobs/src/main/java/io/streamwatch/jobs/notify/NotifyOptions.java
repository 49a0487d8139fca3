package io.streamwatch.jobs.notify;

import io.streamwatch.cli.BadFlagValue;
import io.streamwatch.jobs.notify.novu.NovuClient;
import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import picocli.CommandLine.Option;

/**
 * What NotifyChanges notifies and how, a mixin: the table and its payload, the workflow and its recipients, Novu's
 * address, retractions, the watchdog's timeout, test mode and the log level. Each option is a flag, else the
 * environment variable of {@link #VARIABLES}, else its default; {@link #settings} checks them together.
 */
final class NotifyOptions {
    /** The defaults of the options that have one. */
    static final String[] DEFAULTS = {"--novu-url", NovuClient.CLOUD, "--progress-timeout-minutes", "10", "--log-level", "INFO",
            "--send-retractions", "false", "--test-mode", "false"};
    /** The environment variable that stands in for each option. */
    static final String[] VARIABLES = {"--workflow", "NOVU_WORKFLOW_NAME", "--recipients", "NOVU_RECIPIENTS",
            "--recipients-column", "RECIPIENTS_IN_PAYLOAD", "--novu-url", "NOVU_URL", "--table", "ALERT_TABLE",
            "--payload", "ALERT_PAYLOAD", "--send-retractions", "SEND_RETRACTIONS",
            "--progress-timeout-minutes", "PROGRESS_TIMEOUT_MINUTES", "--test-mode", "TEST_MODE", "--log-level", "LOG_LEVEL"};
    private static final Set<String> TRUE = Set.of("true", "1", "yes", "on");
    private static final Set<String> FALSE = Set.of("false", "0", "no", "off");
    private static final Set<String> UNSET = Set.of("", "false", "none", "null", "no", "0");

    @Option(names = "--novu-api-key-file", paramLabel = "FILE",
            description = "File holding the Novu API key (else NOVU_API_KEY; never a flag value, which the Spark UI would show).")
    Path apiKeyFile;

    @Option(names = "--workflow", paramLabel = "NAME", description = "The Novu workflow to trigger (else NOVU_WORKFLOW_NAME).")
    String workflow;

    @Option(names = "--recipients", paramLabel = "ID[,ID...]", description = "Subscriber ids to notify (else NOVU_RECIPIENTS).")
    String recipients;

    @Option(names = "--recipients-column", paramLabel = "COLUMN",
            description = "A column holding each row's subscriber ids, an array or comma-separated (else RECIPIENTS_IN_PAYLOAD).")
    String recipientsColumn;

    @Option(names = "--novu-url", paramLabel = "URL", description = "Novu's API root (else NOVU_URL, else " + NovuClient.CLOUD + ").")
    String novuUrl;

    @Option(names = "--table", paramLabel = "NAME|PATH", description = "The Delta table whose changes are notified, with its change data feed on (else ALERT_TABLE).")
    String table;

    @Option(names = "--payload", paramLabel = "COLUMN[,COLUMN...]",
            description = "Columns sent as the payload, each checked at start (else ALERT_PAYLOAD, else every column).")
    String payload;

    @Option(names = "--send-retractions", arity = "0..1", fallbackValue = "true", paramLabel = "BOOL",
            description = "Deletes and update pre-images cancel the earlier trigger (else SEND_RETRACTIONS, else false).")
    String sendRetractions;

    @Option(names = "--progress-timeout-minutes", paramLabel = "MINUTES",
            description = "Minutes without progress while running before the watchdog says so; fractions allowed (else PROGRESS_TIMEOUT_MINUTES, else 10).")
    String progressTimeoutMinutes;

    @Option(names = "--test-mode", arity = "0..1", fallbackValue = "true", paramLabel = "BOOL",
            description = "Log what would be sent and send nothing; no API key needed (else TEST_MODE, else false).")
    String testMode;

    @Option(names = "--log-level", paramLabel = "LEVEL", description = "DEBUG, INFO, WARNING or ERROR for streamwatch's own lines (else LOG_LEVEL, else INFO).")
    String logLevel;

    /** Settings once flags and environment are merged and checked. */
    record Settings(Optional<String> apiKey, String workflow, List<String> recipients, String recipientsColumn, String novuUrl, String table,
            List<String> payload, boolean sendRetractions, Duration progressTimeout, boolean testMode, String logLevel) {
    }

    /** The options checked; what is missing or contradicts is a bad flag. The API key comes from the file, else NOVU_API_KEY. */
    Settings settings(Map<String, String> environment) {
        boolean test = bool("--test-mode", "TEST_MODE", testMode);
        Optional<String> apiKey = apiKey(environment);
        if (apiKey.isEmpty() && !test) {
            throw new BadFlagValue("no Novu API key: set NOVU_API_KEY or --novu-api-key-file (TEST_MODE needs none)");
        }
        String workflowName = Optional.ofNullable(workflow).filter(s -> !s.isBlank())
                .orElseThrow(() -> new BadFlagValue("no workflow: give --workflow or NOVU_WORKFLOW_NAME"));
        String alertTable = Optional.ofNullable(table).filter(s -> !s.isBlank())
                .orElseThrow(() -> new BadFlagValue("no table: give --table or ALERT_TABLE (a table name or a path)"));
        Optional<String> listed = Optional.ofNullable(recipients);
        Optional<String> column = Optional.ofNullable(recipientsColumn).map(String::strip)
                .filter(s -> !UNSET.contains(s.toLowerCase(Locale.ROOT)));
        if (listed.isPresent() && column.isPresent()) {
            throw new BadFlagValue("recipients given twice: NOVU_RECIPIENTS (--recipients) or RECIPIENTS_IN_PAYLOAD (--recipients-column), not both");
        }
        if (listed.isEmpty() && column.isEmpty()) {
            throw new BadFlagValue("no recipients: give NOVU_RECIPIENTS (--recipients) or RECIPIENTS_IN_PAYLOAD (--recipients-column)");
        }
        List<String> subscribers = listed.map(NotifyOptions::subscriberIds).orElse(List.of());
        String url = novuUrl.strip();
        checkUrl(url);
        List<String> payloadColumns = Optional.ofNullable(payload).map(s -> Arrays.stream(s.split(",")).map(String::strip).toList())
                .orElse(List.of());
        if (payloadColumns.stream().anyMatch(String::isEmpty) && payloadColumns.size() > 1) {
            throw new BadFlagValue("ALERT_PAYLOAD has an empty column name: '" + String.join(",", payloadColumns) + "'");
        }
        payloadColumns = payloadColumns.stream().filter(s -> !s.isEmpty()).toList();
        boolean retractions = bool("--send-retractions", "SEND_RETRACTIONS", sendRetractions);
        Duration timeout = timeout();
        String level = logLevel.strip().toUpperCase(Locale.ROOT);
        if (!Set.of("DEBUG", "INFO", "WARNING", "WARN", "ERROR").contains(level)) {
            throw new BadFlagValue("LOG_LEVEL must be DEBUG, INFO, WARNING or ERROR, was '" + level + "'");
        }
        return new Settings(apiKey, workflowName, subscribers, column.orElse(null), url, alertTable.strip(), payloadColumns, retractions,
                timeout, test, level);
    }

    private static boolean bool(String flag, String variable, String given) {
        String text = given.strip().toLowerCase(Locale.ROOT);
        if (TRUE.contains(text)) {
            return true;
        }
        if (FALSE.contains(text)) {
            return false;
        }
        throw new BadFlagValue(variable + " (" + flag + ") must be true or false, was '" + given + "'");
    }

    private Optional<String> apiKey(Map<String, String> environment) {
        if (apiKeyFile != null) {
            try {
                String key = Files.readString(apiKeyFile, StandardCharsets.UTF_8).strip();
                if (key.isEmpty()) {
                    throw new BadFlagValue("--novu-api-key-file: " + apiKeyFile + " is empty");
                }
                return Optional.of(key);
            } catch (IOException e) {
                throw new BadFlagValue("--novu-api-key-file: cannot read " + apiKeyFile + " (" + e.getClass().getSimpleName() + ")");
            }
        }
        return Optional.ofNullable(environment.get("NOVU_API_KEY")).map(String::strip).filter(key -> !key.isEmpty());
    }

    private static List<String> subscriberIds(String listed) {
        List<String> ids = Arrays.stream(listed.split(",", -1)).map(String::strip).toList();
        if (ids.stream().anyMatch(String::isEmpty)) {
            throw new BadFlagValue("NOVU_RECIPIENTS has an empty subscriber id: '" + listed + "' (comma-separated ids, none empty)");
        }
        if (ids.size() > 100) {
            throw new BadFlagValue("NOVU_RECIPIENTS has " + ids.size() + " subscriber ids; Novu takes at most 100 per trigger");
        }
        return List.copyOf(new LinkedHashSet<>(ids));
    }

    private static void checkUrl(String url) {
        try {
            URI uri = new URI(url);
            if (!("http".equals(uri.getScheme()) || "https".equals(uri.getScheme())) || uri.getHost() == null || uri.getUserInfo() != null
                    || uri.getQuery() != null || uri.getFragment() != null) {
                throw new BadFlagValue("NOVU_URL must be http(s)://host[:port][/path], without credentials, query or fragment");
            }
        } catch (URISyntaxException e) {
            throw new BadFlagValue("NOVU_URL is not a URL (" + e.getReason() + ")");
        }
    }

    private Duration timeout() {
        String text = progressTimeoutMinutes.strip();
        try {
            double minutes = Double.parseDouble(text);
            if (!(minutes > 0) || Double.isInfinite(minutes)) {
                throw new NumberFormatException();
            }
            return Duration.ofMillis(Math.max(1, Math.round(minutes * 60_000)));
        } catch (NumberFormatException e) {
            throw new BadFlagValue("PROGRESS_TIMEOUT_MINUTES (--progress-timeout-minutes) must be a positive number of minutes, was '" + text + "'");
        }
    }
}
