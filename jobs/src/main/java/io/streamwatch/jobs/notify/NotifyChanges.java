package io.streamwatch.jobs.notify;

import io.streamwatch.cli.Cli;
import io.streamwatch.cli.BadFlagValue;
import io.streamwatch.cli.DurationConverter;
import io.streamwatch.cli.CommandFailure;
import io.streamwatch.jobs.common.JobMetric;
import io.streamwatch.cli.OptionDefaults;
import io.streamwatch.jobs.common.Jobs;
import io.streamwatch.jobs.common.QueryOptions;
import io.streamwatch.jobs.common.PushOptions;
import io.streamwatch.jobs.common.SparkSessions;
import io.streamwatch.jobs.common.StreamingJob;
import io.streamwatch.jobs.notify.novu.NovuClient;
import io.streamwatch.listeners.BatchDurationListener;
import io.streamwatch.listeners.MetricNaming;
import io.streamwatch.listeners.MetricSample;
import io.streamwatch.listeners.PushGroup;
import io.streamwatch.listeners.QueryHealthListener;
import io.streamwatch.listeners.StreamwatchSettings;
import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Callable;
import org.apache.logging.log4j.Level;
import org.apache.logging.log4j.core.config.Configurator;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.streaming.StreamingQuery;
import org.apache.spark.sql.streaming.StreamingQueryException;
import org.apache.spark.sql.streaming.Trigger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * Every change of a Delta table's change data feed delivered to a Novu workflow: inserts and update post-images
 * trigger it (deterministic transaction ids, idempotency keys, bulk when many), deletes and pre-images cancel the
 * earlier trigger when retractions are on; the streaming checkpoint is the progress, so a crash resumes where it
 * stopped (at least once, duplicates only with the same transaction id) and a stop sends nothing twice. What Novu
 * refuses goes to a dead-letter Delta table with the reason; 429, 5xx and an unreachable Novu only delay. Each
 * setting is a flag with an environment variable as its fallback ({@link #optionDefaults()}); the API key is only
 * ever read from {@code NOVU_API_KEY} or a file, never a flag the Spark UI would show.
 */
@Command(name = "NotifyChanges", mixinStandardHelpOptions = true,
        description = "Delivers every change of a Delta table's change data feed to a Novu workflow.")
public final class NotifyChanges implements Callable<Integer>, OptionDefaults.Declared {
    public static final String QUERY_NAME = "notify-changes";
    private static final Logger LOG = LoggerFactory.getLogger(NotifyChanges.class);
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

    @Mixin
    QueryOptions query = new QueryOptions();

    @Option(names = "--starting-version", defaultValue = "latest", paramLabel = "latest|N",
            description = "For a new checkpoint: latest delivers what is committed after the start; N every change from table version N (default: ${DEFAULT-VALUE}).")
    String startingVersion;

    @Option(names = "--deliveries-path", description = "Delta table of every trigger and cancel with its outcome (default: the checkpoint + _deliveries).")
    String deliveriesPath;

    @Option(names = "--dead-letter-path", description = "Delta table of the changes Novu refused or did not deliver, with the reason (default: the checkpoint + _dead_letter).")
    String deadLetterPath;

    @Option(names = "--bulk-from", defaultValue = "10",
            description = "Consecutive triggers from which one bulk request (up to 100) replaces single ones (default: ${DEFAULT-VALUE}).")
    int bulkFrom;

    @Option(names = "--request-timeout", defaultValue = "15s", converter = DurationConverter.class,
            description = "How long one request to Novu may take before it is retried (default: ${DEFAULT-VALUE}).")
    Duration requestTimeout;

    @Option(names = "--max-files-per-trigger", defaultValue = "1000", description = "Data files per micro-batch at most (default: ${DEFAULT-VALUE}).")
    int maxFilesPerTrigger;

    @Mixin
    PushOptions push = new PushOptions().withDefaultNaming(MetricNaming.STREAMWATCH);

    private final Map<String, String> environment;

    /** Settings once flags and environment are merged and checked. */
    record Settings(Optional<String> apiKey, String workflow, List<String> recipients, String recipientsColumn, String novuUrl, String table,
            List<String> payload, boolean sendRetractions, Duration progressTimeout, boolean testMode, String logLevel) {
    }

    public NotifyChanges() {
        this(System.getenv());
    }

    /** With the environment the fallbacks are read from (tests and the demo pass their own). */
    public NotifyChanges(Map<String, String> environment) {
        this.environment = Map.copyOf(environment);
    }

    public static void main(String[] args) {
        Jobs.main(new NotifyChanges(), args);
    }

    /** The defaults, and the environment variables that stand in for the flags not given. */
    @Override
    public OptionDefaults optionDefaults() {
        return OptionDefaults.of("--checkpoint", "/tmp/streamwatch/checkpoints/" + QUERY_NAME, "--trigger-interval", "500ms",
                        "--query-name", QUERY_NAME, "--novu-url", NovuClient.CLOUD, "--progress-timeout-minutes", "10",
                        "--log-level", "INFO", "--send-retractions", "false", "--test-mode", "false")
                .withEnvironment(environment, "--workflow", "NOVU_WORKFLOW_NAME", "--recipients", "NOVU_RECIPIENTS",
                        "--recipients-column", "RECIPIENTS_IN_PAYLOAD", "--novu-url", "NOVU_URL", "--table", "ALERT_TABLE",
                        "--payload", "ALERT_PAYLOAD", "--send-retractions", "SEND_RETRACTIONS",
                        "--progress-timeout-minutes", "PROGRESS_TIMEOUT_MINUTES", "--test-mode", "TEST_MODE", "--log-level", "LOG_LEVEL");
    }

    @Override
    public Integer call() throws Exception {
        Settings settings = settings();
        applyLogLevel(settings.logLevel());
        SparkSession spark = SparkSessions.getOrCreate("NotifyChanges");
        ChangeFeed feed = ChangeFeed.open(spark, settings.table(), settings.payload(), settings.recipientsColumn());
        NotificationLog log = new NotificationLog(deliveriesPath != null ? deliveriesPath : query.checkpoint() + "_deliveries",
                deadLetterPath != null ? deadLetterPath : query.checkpoint() + "_dead_letter");
        log.createIfMissing(spark);
        NotificationLog.OpenTriggers open = settings.sendRetractions() ? log.openTriggers(spark) : new NotificationLog.OpenTriggers();
        StreamwatchSettings pushSettings = push.settings(spark).withHeartbeatInterval(query.heartbeatInterval());
        BatchNotifier notifier = new BatchNotifier(feed, log, settings, bulkFrom, requestTimeout, query.checkpoint());
        Runnable report = () -> report(spark, pushSettings, notifier);
        StreamingJob.run(spark, push, LOG, List.of(new BatchDurationListener(pushSettings), new QueryHealthListener(pushSettings)),
                () -> notify(spark, feed, settings, open, notifier, report));
        return 0;
    }

    /** Delivers the feed's changes until the query stops; a SIGTERM lets the request in flight finish first. */
    private void notify(SparkSession spark, ChangeFeed feed, Settings settings, NotificationLog.OpenTriggers open, BatchNotifier notifier,
                        Runnable report) throws Exception {
        try (ProgressWatchdog watchdog = new ProgressWatchdog(query.queryName(), feed.name(), settings.progressTimeout(), report)) {
            spark.streams().addListener(watchdog);
            notifier.start(spark, open, watchdog, report);
            StreamingQuery running = feed.readStream(spark, startingVersion, maxFilesPerTrigger).writeStream()
                    .queryName(query.queryName())
                    .option("checkpointLocation", query.checkpoint())
                    .trigger(Trigger.ProcessingTime(query.triggerMillis()))
                    .foreachBatch(notifier)
                    .start();
            LOG.info("notifying the changes of {} to workflow {} at {}{}{}", feed.name(), settings.workflow(), settings.novuUrl(),
                    settings.sendRetractions() ? ", with retractions" : "", settings.testMode() ? " (TEST_MODE: nothing is sent)" : "");
            try {
                StreamingJob.awaitUntilStopped(running, () -> {
                    notifier.stopAfterTheRequestInFlight(Duration.ofSeconds(20));
                    SparkSessions.stop(running);
                });
            } catch (StreamingQueryException e) {
                if (!notifier.stopping && !BatchNotifier.stoppedMidBatch(e)) {
                    throw new CommandFailure("the notification query failed: " + Cli.oneLine(e));
                }
                LOG.info("stopped in the middle of a batch: the rest of it is delivered after a restart");
            } finally {
                spark.streams().removeListener(watchdog);
                report.run();
            }
        }
    }

    /** The options (each a flag, else its environment variable, else its default) checked; what is missing or contradicts is a bad flag. */
    Settings settings() {
        boolean test = bool("--test-mode", "TEST_MODE", testMode);
        Optional<String> apiKey = apiKey();
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
        List<String> subscribers = listed.map(NotifyChanges::subscriberIds).orElse(List.of());
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
        if (!startingVersion.equals("latest") && !startingVersion.matches("\\d{1,18}")) {
            throw new BadFlagValue("--starting-version must be latest or a table version (0, 1, ...), was '" + startingVersion + "'");
        }
        BadFlagValue.requirePositive("--bulk-from", bulkFrom);
        BadFlagValue.requirePositive("--max-files-per-trigger", maxFilesPerTrigger);
        BadFlagValue.requirePositive("--request-timeout", requestTimeout.toMillis());
        query.requireValid();
        push.requireValidAddress();
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

    private Optional<String> apiKey() {
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

    private static void applyLogLevel(String level) {
        Configurator.setLevel("io.streamwatch",
                Level.toLevel(level.equals("WARNING") ? "WARN" : level));
    }

    private void report(SparkSession spark, StreamwatchSettings settings, BatchNotifier notifier) {
        push.publisher(spark).ifPresent(publisher -> publisher.publish(
                new PushGroup(settings.jobOr(settings.naming().queryJob()), Map.of("query", query.queryName())), "notifications", () -> {
                    List<MetricSample> samples = new ArrayList<>();
                    NotificationDelivery delivery = notifier.delivery;
                    if (delivery != null) {
                        delivery.outcomes().forEach((outcome, count) -> samples.add(JobMetric.NOTIFICATIONS.sample(count, outcome)));
                        samples.add(JobMetric.NOTIFY_RATE_LIMITED.sample(delivery.rateLimited()));
                        samples.add(JobMetric.NOTIFY_RETRIES.sample(delivery.retried()));
                    }
                    ProgressWatchdog watchdog = notifier.watchdog;
                    samples.add(JobMetric.NOTIFY_STALLED.sample(watchdog != null && watchdog.stalled() ? 1 : 0));
                    return samples;
                }));
    }
}
