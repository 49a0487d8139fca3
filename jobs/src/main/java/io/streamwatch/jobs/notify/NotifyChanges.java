package io.streamwatch.jobs.notify;

import io.streamwatch.cli.Cli;
import io.streamwatch.cli.BadFlagValue;
import io.streamwatch.cli.DurationConverter;
import io.streamwatch.cli.CommandFailure;
import io.streamwatch.jobs.common.JobMetric;
import io.streamwatch.cli.OptionDefaults;
import io.streamwatch.jobs.common.Jobs;
import io.streamwatch.jobs.common.PushOptions;
import io.streamwatch.jobs.common.QueryOptions;
import io.streamwatch.jobs.common.SparkSessions;
import io.streamwatch.jobs.common.StreamingJob;
import io.streamwatch.listeners.BatchDurationListener;
import io.streamwatch.listeners.MetricSample;
import io.streamwatch.listeners.PushGroup;
import io.streamwatch.listeners.QueryHealthListener;
import io.streamwatch.listeners.StreamwatchSettings;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
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

    @Mixin
    NotifyOptions notification = new NotifyOptions();

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
    PushOptions push = new PushOptions();

    private final Map<String, String> environment;

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
                        "--query-name", QUERY_NAME)
                .with(NotifyOptions.DEFAULTS)
                .withEnvironment(environment, NotifyOptions.VARIABLES);
    }

    @Override
    public Integer call() throws Exception {
        NotifyOptions.Settings settings = settings();
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
    private void notify(SparkSession spark, ChangeFeed feed, NotifyOptions.Settings settings, NotificationLog.OpenTriggers open, BatchNotifier notifier,
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

    /** The options checked (each a flag, else its environment variable, else its default); what cannot work is a bad flag. */
    NotifyOptions.Settings settings() {
        NotifyOptions.Settings settings = notification.settings(environment);
        if (!startingVersion.equals("latest") && !startingVersion.matches("\\d{1,18}")) {
            throw new BadFlagValue("--starting-version must be latest or a table version (0, 1, ...), was '" + startingVersion + "'");
        }
        BadFlagValue.requirePositive("--bulk-from", bulkFrom);
        BadFlagValue.requirePositive("--max-files-per-trigger", maxFilesPerTrigger);
        BadFlagValue.requirePositive("--request-timeout", requestTimeout.toMillis());
        query.requireValid();
        push.requireValidAddress();
        return settings;
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
