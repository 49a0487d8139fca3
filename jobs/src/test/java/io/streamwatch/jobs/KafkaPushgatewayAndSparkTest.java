package io.streamwatch.jobs;

import io.streamwatch.jobs.common.Jobs;
import io.streamwatch.jobs.common.SparkSessions;
import io.streamwatch.jobs.sla.GenerateVisits;
import io.streamwatch.jobs.sla.SyncVisitsToDelta;

import static org.awaitility.Awaitility.await;

import io.streamwatch.testkit.EmbeddedKafka;
import java.time.Duration;
import java.util.Arrays;
import java.util.Map;
import java.util.OptionalDouble;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;

/** A real in-process KRaft broker per test class besides the Pushgateway; a topic of its own per test. */
public abstract class KafkaPushgatewayAndSparkTest extends PushgatewayAndSparkTest {
    protected static EmbeddedKafka kafka;
    private static int topics;
    private static int seeds;
    private final ExecutorService background = Executors.newSingleThreadExecutor();
    protected String topic;

    @BeforeAll
    protected static void startKafka() {
        kafka = EmbeddedKafka.start(classDir.resolve("kafka"));
    }

    @AfterAll
    protected static void stopKafka() {
        if (kafka != null) {
            kafka.close();
        }
    }

    @AfterEach
    protected void stopQueries() {
        Arrays.stream(spark().streams().active()).forEach(query -> {
            try {
                query.stop();
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        background.shutdownNow();
    }

    protected void generate(int count, double malformedRatio) {
        topic = topic == null ? "visits_" + (++topics) : topic;
        run(new GenerateVisits(), "--bootstrap-servers", kafka.bootstrapServers(), "--topic", topic,
                "--count", String.valueOf(count), "--rate", "0", "--malformed-ratio", String.valueOf(malformedRatio),
                "--seed", String.valueOf(7 + seeds++)); // a new seed each time: visit ids never repeat
    }

    protected String[] syncArgs(String... more) {
        return syncArgsFor(kafka.bootstrapServers(), topic, more);
    }

    protected String[] syncArgsFor(String bootstrapServers, String topicName, String... more) {
        return concat(new String[] {"--bootstrap-servers", bootstrapServers, "--topic", topicName,
            "--path", tablePath(), "--checkpoint", checkpoint(), "--pushgateway", pushgateway.address(),
            "--push-timeout", "5s"}, more);
    }

    protected int sync(String... more) {
        return Jobs.execute(new SyncVisitsToDelta(), syncArgs(more));
    }

    /** Runs the synchronizer until {@link #stopSync} stops its query. */
    protected Future<Integer> startSync(String... more) {
        return background.submit(() -> Jobs.execute(new SyncVisitsToDelta(), syncArgs(more)));
    }

    protected void stopSync() throws Exception {
        await().atMost(Duration.ofSeconds(30))
                .until(() -> SparkSessions.activeQuery(spark(), SyncVisitsToDelta.QUERY_NAME), java.util.Optional::isPresent)
                .orElseThrow().stop();
    }

    protected long rows(String path) {
        return spark().read().format("delta").load(path).count();
    }

    /** The rows of the table, 0 while it does not exist yet (a job in another JVM is creating it). */
    protected long rowsOrZero() {
        try {
            return rows(tablePath());
        } catch (Exception e) {
            return 0;
        }
    }

    protected String quarantinePath() {
        return tablePath() + "_quarantine";
    }

    protected static Map<String, String> syncSeries(Map<String, String> more) {
        java.util.HashMap<String, String> labels = new java.util.HashMap<>(more);
        labels.put("job", SyncVisitsToDelta.QUERY_NAME);
        labels.put("query", SyncVisitsToDelta.QUERY_NAME);
        return labels;
    }

    protected static OptionalDouble syncValue(String metric, Map<String, String> labels) {
        return pushgateway.value(metric, syncSeries(labels));
    }
}
