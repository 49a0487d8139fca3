package io.streamwatch.alerting;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.streamwatch.jobs.sla.GenerateVisits;
import io.streamwatch.jobs.common.Jobs;
import io.streamwatch.jobs.common.SparkSessions;
import io.streamwatch.jobs.sla.SyncVisitsToDelta;
import io.streamwatch.listeners.EventTimeListener;
import io.streamwatch.listeners.QueryStatusListener;
import io.streamwatch.listeners.StreamwatchSettings;
import io.streamwatch.testkit.ChildJvm;
import io.streamwatch.testkit.EmbeddedKafka;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.apache.spark.sql.SparkSession;

/**
 * The real jobs against the local alerting stack (fast profile) and an in-process broker, started as the fault
 * matrix and the soak start them: in this JVM's Spark session (with the listeners an operator adds by configuration)
 * or in a driver process of their own.
 */
final class StackPipelines implements AutoCloseable {
    final Path dir;
    final LocalAlertingStack stack;
    final EmbeddedKafka kafka;
    private final ExecutorService background = Executors.newCachedThreadPool();

    StackPipelines(Path dir) {
        this.dir = dir;
        stack = new LocalAlertingStack(dir.resolve("stack"));
        kafka = EmbeddedKafka.start(dir.resolve("kafka"));
        attachSignals(spark());
    }

    SparkSession spark() {
        return SparkSessions.getOrCreate("stack-pipelines");
    }

    /** The listeners the jobs do not attach themselves, as an operator would add them by configuration. */
    private void attachSignals(SparkSession spark) {
        StreamwatchSettings settings = StreamwatchSettings.of(stack.pushgateway.address()).withHeartbeatInterval(Duration.ofSeconds(1));
        spark.streams().addListener(new QueryStatusListener(settings, Duration.ofSeconds(20), 5, Duration.ofMinutes(5)));
        spark.streams().addListener(new EventTimeListener(settings));
    }

    String visitsTable() {
        return dir.resolve("visits").toString();
    }

    /** The writer's flags: one run commits a few versions of the visits table. */
    String[] writer() {
        return new String[] {"--path", visitsTable(), "--pushgateway", stack.pushgateway.address()};
    }

    String[] consumer(String checkpoint) {
        return new String[] {"--path", visitsTable(), "--checkpoint", dir.resolve(checkpoint).toString(),
            "--pushgateway", stack.pushgateway.address(), "--quiet"};
    }

    void generate(String topic, int visits) {
        run(new GenerateVisits(), "--bootstrap-servers", kafka.bootstrapServers(), "--topic", topic, "--count", String.valueOf(visits), "--rate", "0");
    }

    /** Runs a job in this JVM, in the background. */
    Future<Integer> submit(Callable<Integer> job, String... args) {
        return background.submit(() -> Jobs.execute(job, args));
    }

    /** Runs the synchronizer in this JVM until {@link #stopQueries} stops it. */
    Future<Integer> synchronizer(String topic, String name, String... more) {
        return submit(new SyncVisitsToDelta(), sync(topic, name, more));
    }

    /** The synchronizer's flags for a run; {@code more} adds flags or overrides these. */
    String[] sync(String topic, String name, String... more) {
        Map<String, String> flags = new LinkedHashMap<>();
        flags.put("--bootstrap-servers", kafka.bootstrapServers());
        flags.put("--topic", topic);
        flags.put("--path", dir.resolve("synced-" + name).toString());
        flags.put("--checkpoint", dir.resolve("sync-checkpoint-" + name).toString());
        flags.put("--pushgateway", stack.pushgateway.address());
        flags.put("--query-name", name);
        flags.put("--trigger-interval", "1s");
        flags.put("--max-offsets-per-trigger", "20");
        flags.put("--heartbeat-interval", "1s");
        for (int i = 0; i + 1 < more.length; i += 2) {
            flags.put(more[i], more[i + 1]);
        }
        return flags.entrySet().stream().flatMap(flag -> Stream.of(flag.getKey(), flag.getValue())).toArray(String[]::new);
    }

    ChildJvm synchronizerProcess(String topic, String name) {
        return ChildJvm.start(SyncVisitsToDelta.class, Map.of("spark.master", "local[2]"), dir.resolve(name + "-" + System.nanoTime() + ".log"),
                sync(topic, name));
    }

    /** Stops the queries running in this JVM (the job in {@code job} among them) gracefully, and waits for the job to end. */
    void stopQueries(Future<Integer> job) throws Exception {
        SparkSession spark = spark();
        await().atMost(Duration.ofMinutes(1)).until(() -> spark.streams().active().length > 0 || job.isDone());
        Arrays.stream(spark.streams().active()).forEach(SparkSessions::stop);
        job.get(2, TimeUnit.MINUTES);
    }

    static void run(Callable<Integer> job, String... args) {
        assertEquals(0, Jobs.execute(job, args), job.getClass().getSimpleName());
    }

    static String[] concat(String[] first, String... more) {
        List<String> all = new ArrayList<>(List.of(first));
        all.addAll(List.of(more));
        return all.toArray(String[]::new);
    }

    @Override
    public void close() {
        background.shutdownNow();
        kafka.close();
        stack.close();
    }
}
