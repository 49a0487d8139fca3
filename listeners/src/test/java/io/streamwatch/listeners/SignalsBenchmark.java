package io.streamwatch.listeners;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.streamwatch.testkit.ChildJvm;
import io.streamwatch.testkit.EmbeddedKafka;
import io.streamwatch.testkit.Figures;
import io.streamwatch.testkit.LocalPushgateway;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Consumer;
import java.util.stream.IntStream;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.spark.SparkConf;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.streaming.StreamingQuery;
import org.apache.spark.sql.streaming.StreamingQueryListener;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What streamwatch's listeners cost a busy driver, in one run: 50 concurrent queries (25 on a Kafka topic of 500
 * partitions, 25 on Delta tables), all backlogged so that every micro-batch starts at once, in windows with every
 * streamwatch listener attached and windows with them detached, interleaved (ABBA). Per window: rows processed,
 * the process's CPU time and streamwatch's own CPU time (its callbacks, timed on Spark's listener thread, and its
 * threads: sender, heartbeats, log and offset readers). Besides: callback durations, bytes pushed, the heap
 * streamwatch keeps, and the Delta backlog read on a table of 10,000 commits without a checkpoint. The Kafka broker
 * runs in a process of its own, so that the driver's CPU is the driver's.
 * Run with {@code mvn -Pbenchmark verify -pl listeners -am -Dtest=SignalsBenchmark}.
 */
@Tag("benchmark")
class SignalsBenchmark {
    private static final int KAFKA_QUERIES = 25;
    private static final int DELTA_QUERIES = 25;
    private static final int DELTA_TABLES = 5;
    private static final int PARTITIONS = 500;
    private static final int HOT_PARTITIONS = 10;
    private static final int KAFKA_RECORDS = 300_000;
    private static final int OFFSETS_PER_BATCH = 500;
    private static final int ROWS_PER_FILE = 500;
    private static final int COMMITS_PER_TABLE = 600;
    private static final int BACKLOG_COMMITS = 10_000;
    private static final int WINDOWS_PER_MODE = 10;
    private static final Duration WINDOW = Duration.ofSeconds(15);
    private static final com.sun.management.ThreadMXBean THREADS = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
    private static final com.sun.management.OperatingSystemMXBean OS =
            (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();

    @TempDir
    Path dir;

    @Test
    void whatTheSignalsCostABusyDriver() throws Exception {
        try (ChildJvm broker = ChildJvm.start(EmbeddedKafka.class, Map.of(), dir.resolve("kafka.log"), dir.resolve("kafka").toString());
             LocalPushgateway pushgateway = LocalPushgateway.start(dir.resolve("pushgateway"))) {
            SparkSession spark = LocalSparkSessions.withDelta("signals-benchmark").getOrCreate();
            try {
                deltaBacklogOnTenThousandCommits(spark);
                publisherMemory(pushgateway);
                fiftyQueries(spark, bootstrapServers(broker), pushgateway);
            } finally {
                spark.stop();
            }
        }
    }

    private void deltaBacklogOnTenThousandCommits(SparkSession spark) {
        Path table = dir.resolve("ten-thousand-commits");
        spark.range(0, 100, 1, 1).write().format("delta").save(table.toString());
        long newest = HandWrittenCommits.append(table, BACKLOG_COMMITS);
        String location = new org.apache.hadoop.fs.Path(table.toUri()).toString();
        org.apache.hadoop.conf.Configuration hadoopConf = spark.sessionState().newHadoopConf();

        long heapBefore = heapAfterGc();
        DeltaBacklog backlog = DeltaBacklog.at(location, hadoopConf);
        long start = System.nanoTime();
        DeltaBacklog.Backlog all = backlog.after(-1, newest);
        long cold = System.nanoTime() - start;
        long heapAfter = heapAfterGc();
        assertEquals(new DeltaBacklog.Backlog(newest + 1, newest + 1, all.bytes(), 100L * (newest + 1)), all);

        List<Long> warm = timed(5, () -> backlog.after(-1, newest));
        List<Long> behindByHundred = timed(5, () -> backlog.after(newest - 100, newest));
        long next = HandWrittenCommits.append(table, 1);
        start = System.nanoTime();
        backlog.after(-1, next);
        long oneNewCommit = System.nanoTime() - start;

        start = System.nanoTime();
        long rows = spark.read().format("delta").load(table.toString()).count();
        long deltaSnapshot = System.nanoTime() - start;
        assertEquals(100L * (next + 1), rows);

        Figures.print("Delta backlog on a table of " + (newest + 1) + " commits without a checkpoint (one file each)",
                String.format("%-58s %12s", "first read, every commit file (cold)", Figures.millis(cold)),
                String.format("%-58s %12s", "again, all kept in memory (median of 5)", Figures.millis(Figures.median(warm))),
                String.format("%-58s %12s", "a reader 100 versions behind (median of 5)", Figures.millis(Figures.median(behindByHundred))),
                String.format("%-58s %12s", "after one more commit (reads one file)", Figures.millis(oneNewCommit)),
                String.format("%-58s %12s", "for comparison: Delta's own snapshot of it + count", Figures.millis(deltaSnapshot)),
                String.format("%-58s %9.1f MB (%d bytes per commit)", "heap kept for " + backlog.cached() + " commits",
                        (heapAfter - heapBefore) / 1e6, (heapAfter - heapBefore) / backlog.cached()));
    }

    /**
     * The heap the publisher keeps for 50 queries' groups as the run below pushes them (25 with 500 partition lags
     * and 30 other series, 25 with 30), eight listeners' parts each; measured in a quiet JVM, before the queries start.
     */
    private void publisherMemory(LocalPushgateway pushgateway) {
        long before = heapAfterGc();
        int series = 0;
        try (PushgatewayPublisher publisher = new PushgatewayPublisher(pushgateway.address())) {
            for (int query = 0; query < KAFKA_QUERIES + DELTA_QUERIES; query++) {
                PushGroup group = new PushGroup("publisher_memory", Map.of("query", "query_" + query, "query_id", java.util.UUID.randomUUID().toString()));
                for (int part = 0; part < 8; part++) {
                    List<MetricSample> samples = new ArrayList<>();
                    for (int i = 0; i < 4; i++) {
                        samples.add(new MetricSample("streamwatch_part_" + part + "_" + i, "A series of a listener's part.", Map.of("source", "0"), i));
                    }
                    if (part == 0 && query < KAFKA_QUERIES) {
                        for (int partition = 0; partition < PARTITIONS; partition++) {
                            samples.add(new MetricSample("streamwatch_kafka_lag_records", "Kafka offsets not yet processed.",
                                    Map.of("topic", "wide", "partition", String.valueOf(partition)), partition % 7));
                        }
                    }
                    series += samples.size();
                    publisher.publish(group, "part-" + part, () -> samples);
                }
            }
            assertTrue(publisher.flush(Duration.ofMinutes(1)));
            long kept = heapAfterGc() - before;
            Figures.print("publisher memory, " + (KAFKA_QUERIES + DELTA_QUERIES) + " groups of 8 parts, " + series + " series, delivered",
                    String.format("heap kept after full GC: %.1f MB (%d bytes per series)", kept / 1e6, kept / series));
        }
    }

    private void fiftyQueries(SparkSession spark, String bootstrapServers, LocalPushgateway pushgateway) throws Exception {
        produceBacklog(bootstrapServers);
        List<Path> tables = IntStream.range(0, DELTA_TABLES).mapToObj(i -> dir.resolve("table-" + i)).toList();
        for (Path table : tables) {
            spark.range(0, ROWS_PER_FILE, 1, 1).write().format("delta").save(table.toString());
            HandWrittenCommits.append(table, COMMITS_PER_TABLE);
        }
        Throughput throughput = new Throughput();
        spark.streams().addListener(throughput);
        List<StreamingQuery> queries = new ArrayList<>();
        for (int i = 0; i < KAFKA_QUERIES; i++) {
            queries.add(spark.readStream().format("kafka").option("kafka.bootstrap.servers", bootstrapServers).option("subscribe", "wide")
                    .option("startingOffsets", "earliest").option("maxOffsetsPerTrigger", OFFSETS_PER_BATCH).load()
                    .writeStream().queryName("kafka_" + i).format("noop")
                    .option("checkpointLocation", dir.resolve("checkpoints/kafka_" + i).toString()).start());
        }
        for (int i = 0; i < DELTA_QUERIES; i++) {
            queries.add(spark.readStream().format("delta").option("maxFilesPerTrigger", 1).load(tables.get(i % DELTA_TABLES).toString())
                    .writeStream().queryName("delta_" + i).format("noop")
                    .option("checkpointLocation", dir.resolve("checkpoints/delta_" + i).toString()).start());
        }
        await().atMost(Duration.ofMinutes(5)).until(() -> throughput.queriesWithBatches(3) == queries.size());

        List<TimedListener> streamwatch = streamwatchListeners(pushgateway, bootstrapServers);
        List<Window> windows = new ArrayList<>();
        for (int w = 0; w < 2 * WINDOWS_PER_MODE; w++) {
            boolean attached = w % 4 == 0 || w % 4 == 3;
            if (attached) {
                streamwatch.forEach(spark.streams()::addListener);
            }
            windows.add(measure(attached, throughput, streamwatch, pushgateway));
            if (attached) {
                streamwatch.forEach(spark.streams()::removeListener);
            }
        }
        assertTrue(queries.stream().allMatch(query -> query.lastProgress().numInputRows() > 0),
                "every query still had a backlog at the end: the driver was saturated throughout");
        queries.forEach(query -> {
            try {
                query.stop();
            } catch (java.util.concurrent.TimeoutException e) {
                throw new IllegalStateException(e);
            }
        });
        report(windows, streamwatch, throughput);
    }

    private Window measure(boolean attached, Throughput throughput, List<TimedListener> streamwatch, LocalPushgateway pushgateway)
            throws InterruptedException {
        Map<Long, long[]> threadsAtStart = streamwatchThreads();
        long processCpuAtStart = OS.getProcessCpuTime();
        long callbackCpuAtStart = streamwatch.stream().mapToLong(TimedListener::cpuNanos).sum();
        long callbackAllocAtStart = streamwatch.stream().mapToLong(TimedListener::allocatedBytes).sum();
        double pushedAtStart = bytesPushed(pushgateway);
        long rowsAtStart = throughput.rows.sum();
        long start = System.nanoTime();

        Thread.sleep(WINDOW.toMillis());

        long wall = System.nanoTime() - start;
        long rows = throughput.rows.sum() - rowsAtStart;
        long processCpu = OS.getProcessCpuTime() - processCpuAtStart;
        long callbackCpu = streamwatch.stream().mapToLong(TimedListener::cpuNanos).sum() - callbackCpuAtStart;
        long callbackAlloc = streamwatch.stream().mapToLong(TimedListener::allocatedBytes).sum() - callbackAllocAtStart;
        Map<String, Long> threadCpu = new TreeMap<>();
        Map<String, Long> threadAlloc = new TreeMap<>();
        for (Map.Entry<Long, long[]> thread : streamwatchThreads().entrySet()) {
            long[] before = threadsAtStart.getOrDefault(thread.getKey(), new long[] {0, 0});
            long[] after = thread.getValue();
            threadCpu.merge(THREAD_NAMES.get(thread.getKey()), after[0] - before[0], Long::sum);
            threadAlloc.merge(THREAD_NAMES.get(thread.getKey()), after[1] - before[1], Long::sum);
        }
        double pushed = bytesPushed(pushgateway) - pushedAtStart;
        return new Window(attached, wall, rows, processCpu, callbackCpu, threadCpu, threadAlloc, callbackAlloc, pushed);
    }

    /** One measured window: what the driver did and what streamwatch's share of it was. */
    private record Window(boolean attached, long wallNanos, long rows, long processCpuNanos, long callbackCpuNanos,
            Map<String, Long> threadCpuNanos, Map<String, Long> threadAllocatedBytes, long callbackAllocatedBytes, double bytesPushed) {
        long allocatedBytes() {
            return callbackAllocatedBytes + threadAllocatedBytes.values().stream().mapToLong(Long::longValue).sum();
        }

        double rowsPerSecond() {
            return rows / (wallNanos / 1e9);
        }

        long streamwatchCpuNanos() {
            return callbackCpuNanos + threadCpuNanos.values().stream().mapToLong(Long::longValue).sum();
        }

        double streamwatchShare() {
            return (double) streamwatchCpuNanos() / processCpuNanos;
        }

        double perMinute(double amount) {
            return amount / (wallNanos / 60e9);
        }
    }

    private void report(List<Window> windows, List<TimedListener> streamwatch, Throughput throughput) {
        List<Window> attached = windows.stream().filter(Window::attached).toList();
        List<Window> detached = windows.stream().filter(window -> !window.attached()).toList();
        List<Double> pairRatios = new ArrayList<>();
        for (int w = 0; w + 1 < windows.size(); w += 2) {
            Window a = windows.get(w).attached() ? windows.get(w) : windows.get(w + 1);
            Window d = windows.get(w).attached() ? windows.get(w + 1) : windows.get(w);
            pairRatios.add(a.rowsPerSecond() / d.rowsPerSecond());
        }
        List<String> rows = new ArrayList<>();
        rows.add(String.format("%-44s %16s %16s", "", "attached", "detached"));
        rows.add(String.format("%-44s %16.0f %16.0f", "rows/s, median of " + WINDOWS_PER_MODE + " windows",
                median(attached, Window::rowsPerSecond), median(detached, Window::rowsPerSecond)));
        rows.add(String.format("%-44s %16s %16s", "rows/s, min .. max", range(attached, Window::rowsPerSecond),
                range(detached, Window::rowsPerSecond)));
        rows.add(String.format("%-44s %15.2f%% %15.2f%%", "rows/s, relative spread (stdev / mean)",
                100 * relativeSpread(attached, Window::rowsPerSecond), 100 * relativeSpread(detached, Window::rowsPerSecond)));
        rows.add(String.format("%-44s %16.2f %16.2f", "process CPU, cores busy (median)",
                median(attached, w -> w.processCpuNanos() / (double) w.wallNanos()), median(detached, w -> w.processCpuNanos() / (double) w.wallNanos())));
        rows.add(String.format("%-44s %15.3f%% %15.3f%%", "streamwatch CPU / process CPU (median)",
                100 * median(attached, Window::streamwatchShare), 100 * median(detached, Window::streamwatchShare)));
        rows.add(String.format("%-44s %15.3f%% %15.3f%%", "  of which callbacks (Spark's listener thread)",
                100 * median(attached, w -> w.callbackCpuNanos() / (double) w.processCpuNanos()),
                100 * median(detached, w -> w.callbackCpuNanos() / (double) w.processCpuNanos())));
        rows.add(String.format("%-44s %15.3f%% %15.3f%%", "  streamwatch CPU / process CPU, max",
                100 * attached.stream().mapToDouble(Window::streamwatchShare).max().orElse(0),
                100 * detached.stream().mapToDouble(Window::streamwatchShare).max().orElse(0)));
        rows.add(String.format("%-44s %13.1f KB %13.1f KB", "bytes pushed per minute (median)",
                median(attached, w -> w.perMinute(w.bytesPushed())) / 1e3, median(detached, w -> w.perMinute(w.bytesPushed())) / 1e3));
        rows.add(String.format("%-44s %13.1f MB %13.1f MB", "allocated by streamwatch per minute (median)",
                median(attached, w -> w.perMinute(w.allocatedBytes())) / 1e6, median(detached, w -> w.perMinute(w.allocatedBytes())) / 1e6));
        Collections.sort(pairRatios);
        rows.add(String.format("throughput attached / detached: ratio of medians %.3f; per ABBA pair: median %.3f, min %.3f, max %.3f",
                median(attached, Window::rowsPerSecond) / median(detached, Window::rowsPerSecond),
                pairRatios.get(pairRatios.size() / 2), pairRatios.get(0), pairRatios.get(pairRatios.size() - 1)));

        rows.add("");
        rows.add(String.format("callback durations on Spark's listener thread, attached windows (%d progress events):",
                streamwatch.get(0).progressNanos.size()));
        rows.add(String.format("  %-28s %10s %10s %10s %10s", "listener", "p50", "p99", "max", "CPU/event"));
        for (TimedListener listener : streamwatch) {
            rows.add(String.format("  %-28s %10s %10s %10s %10s", listener.name(), Figures.micros(Figures.median(listener.progressNanos)),
                    Figures.micros(Figures.percentile(listener.progressNanos, 99)), Figures.micros(Figures.percentile(listener.progressNanos, 100)),
                    Figures.micros((double) listener.cpuNanos() / Math.max(1, listener.calls.sum()))));
        }
        List<Long> perEvent = TimedListener.PER_EVENT.values().stream().map(LongAdder::sum).toList();
        rows.add(String.format("  %-28s %10s %10s %10s", "all eight, per progress event", Figures.micros(Figures.median(perEvent)),
                Figures.micros(Figures.percentile(perEvent, 99)), Figures.micros(Figures.percentile(perEvent, 100))));
        rows.add(String.format("  %-28s %10s %10s %10s", "an empty listener (baseline)", Figures.micros(Figures.median(throughput.progressNanos)),
                Figures.micros(Figures.percentile(throughput.progressNanos, 99)), Figures.micros(Figures.percentile(throughput.progressNanos, 100))));

        rows.add("");
        rows.add("streamwatch's threads over all attached windows: CPU (share of the process's CPU), bytes allocated");
        Map<String, Long> threadCpu = new TreeMap<>();
        Map<String, Long> threadAlloc = new TreeMap<>();
        attached.forEach(w -> w.threadCpuNanos().forEach((name, nanos) -> threadCpu.merge(name, nanos, Long::sum)));
        attached.forEach(w -> w.threadAllocatedBytes().forEach((name, bytes) -> threadAlloc.merge(name, bytes, Long::sum)));
        long processCpu = attached.stream().mapToLong(Window::processCpuNanos).sum();
        long callbackCpu = attached.stream().mapToLong(Window::callbackCpuNanos).sum();
        long callbackAlloc = attached.stream().mapToLong(Window::callbackAllocatedBytes).sum();
        rows.add(String.format("  %-58s %8.0f ms %8.3f%% %9.1f MB", "callbacks (spark-listener-group-streams)", callbackCpu / 1e6,
                100.0 * callbackCpu / processCpu, callbackAlloc / 1e6));
        threadCpu.forEach((name, nanos) -> rows.add(String.format("  %-58s %8.0f ms %8.3f%% %9.1f MB", name, nanos / 1e6,
                100.0 * nanos / processCpu, threadAlloc.getOrDefault(name, 0L) / 1e6)));
        rows.add(String.format("  %-58s %8.0f ms", "the process, all threads", processCpu / 1e6));
        rows.add("windows (A attached, D detached; rows/s, streamwatch CPU share): " + windows.stream()
                .map(w -> String.format("%s %.0f %.2f%%", w.attached() ? "A" : "D", w.rowsPerSecond(), 100 * w.streamwatchShare())).toList());
        Figures.print(String.format("streamwatch's cost to one driver: %d queries (%d Kafka on a %d-partition topic, %d Delta on %d tables), "
                        + "all backlogged, local[2], %d attached and %d detached windows of %d s, ABBA order",
                KAFKA_QUERIES + DELTA_QUERIES, KAFKA_QUERIES, PARTITIONS, DELTA_QUERIES, DELTA_TABLES, WINDOWS_PER_MODE, WINDOWS_PER_MODE,
                WINDOW.toSeconds()), rows.toArray(String[]::new));
    }

    private List<TimedListener> streamwatchListeners(LocalPushgateway pushgateway, String bootstrapServers) {
        SparkConf conf = new SparkConf(false)
                .set(StreamwatchSettings.PUSHGATEWAY_ADDRESS, pushgateway.address())
                .set(StreamwatchSettings.JOB, "signals_benchmark")
                .set(StreamwatchSettings.KAFKA_BOOTSTRAP_SERVERS, bootstrapServers)
                .set(KafkaOffsetCommitListener.GROUP, "benchmark-{query}");
        return List.of(new TimedListener(new ReaderVersionListener(conf)), new TimedListener(new BatchDurationListener(conf)),
                new TimedListener(new QueryHealthListener(conf)), new TimedListener(new QueryStatusListener(conf)),
                new TimedListener(new EventTimeListener(conf)), new TimedListener(new KafkaLagListener(conf)),
                new TimedListener(new KafkaOffsetCommitListener(conf)), new TimedListener(new MonitoringHealthListener(conf)));
    }

    /** A streamwatch listener with the wall and CPU time of each of its callbacks measured on the thread that calls it. */
    private static final class TimedListener extends StreamingQueryListener {
        private final StreamingQueryListener listener;
        private final List<Long> progressNanos = Collections.synchronizedList(new ArrayList<>());
        private final LongAdder cpu = new LongAdder();
        private final LongAdder allocated = new LongAdder();
        private final LongAdder calls = new LongAdder();
        /** The time all streamwatch listeners together took per progress event (query run and batch). */
        static final Map<String, LongAdder> PER_EVENT = new ConcurrentHashMap<>();

        TimedListener(StreamingQueryListener listener) {
            this.listener = listener;
        }

        String name() {
            return listener.getClass().getSimpleName();
        }

        long cpuNanos() {
            return cpu.sum();
        }

        long allocatedBytes() {
            return allocated.sum();
        }

        private long timed(Consumer<StreamingQueryListener> callback) {
            long cpuAtStart = THREADS.getCurrentThreadCpuTime();
            long allocatedAtStart = THREADS.getCurrentThreadAllocatedBytes();
            long start = System.nanoTime();
            callback.accept(listener);
            long took = System.nanoTime() - start;
            cpu.add(THREADS.getCurrentThreadCpuTime() - cpuAtStart);
            allocated.add(THREADS.getCurrentThreadAllocatedBytes() - allocatedAtStart);
            calls.increment();
            return took;
        }

        @Override
        public void onQueryStarted(QueryStartedEvent event) {
            timed(l -> l.onQueryStarted(event));
        }

        @Override
        public void onQueryProgress(QueryProgressEvent event) {
            long took = timed(l -> l.onQueryProgress(event));
            progressNanos.add(took);
            PER_EVENT.computeIfAbsent(event.progress().runId() + "/" + event.progress().batchId(), key -> new LongAdder()).add(took);
        }

        @Override
        public void onQueryIdle(QueryIdleEvent event) {
            timed(l -> l.onQueryIdle(event));
        }

        @Override
        public void onQueryTerminated(QueryTerminatedEvent event) {
            timed(l -> l.onQueryTerminated(event));
        }
    }

    /** Always attached: counts rows and batches per query, and is the empty listener whose callback time is the floor. */
    private static final class Throughput extends StreamingQueryListener {
        private final LongAdder rows = new LongAdder();
        private final Map<String, LongAdder> batches = new ConcurrentHashMap<>();
        private final List<Long> progressNanos = Collections.synchronizedList(new ArrayList<>());

        @Override
        public void onQueryStarted(QueryStartedEvent event) {
        }

        @Override
        public void onQueryProgress(QueryProgressEvent event) {
            long start = System.nanoTime();
            rows.add(event.progress().numInputRows());
            batches.computeIfAbsent(event.progress().name(), name -> new LongAdder()).increment();
            progressNanos.add(System.nanoTime() - start);
        }

        @Override
        public void onQueryIdle(QueryIdleEvent event) {
        }

        @Override
        public void onQueryTerminated(QueryTerminatedEvent event) {
        }

        long queriesWithBatches(long atLeast) {
            return batches.values().stream().filter(count -> count.sum() >= atLeast).count();
        }

    }

    private static final Map<Long, String> THREAD_NAMES = new ConcurrentHashMap<>();

    /** CPU and allocated bytes of each live thread of streamwatch's (its name says so), by thread id. */
    private static Map<Long, long[]> streamwatchThreads() {
        Map<Long, long[]> threads = new HashMap<>();
        for (ThreadInfo info : THREADS.getThreadInfo(THREADS.getAllThreadIds())) {
            if (info != null && info.getThreadName().contains("streamwatch")) {
                long id = info.getThreadId();
                THREAD_NAMES.putIfAbsent(id, info.getThreadName());
                threads.put(id, new long[] {THREADS.getThreadCpuTime(id), THREADS.getThreadAllocatedBytes(id)});
            }
        }
        return threads;
    }

    private static double bytesPushed(LocalPushgateway pushgateway) {
        return pushgateway.metrics().samples().stream().filter(sample -> sample.name().equals("pushgateway_http_push_size_bytes_sum"))
                .mapToDouble(io.streamwatch.testkit.PrometheusText.Sample::value).sum();
    }

    private void produceBacklog(String bootstrapServers) throws Exception {
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers))) {
            admin.createTopics(List.of(new NewTopic("wide", PARTITIONS, (short) 1))).all().get(2, TimeUnit.MINUTES);
        }
        Map<String, Object> config = Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
                ProducerConfig.LINGER_MS_CONFIG, 20, ProducerConfig.BATCH_SIZE_CONFIG, 262_144);
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(config, new StringSerializer(), new StringSerializer())) {
            for (int i = 0; i < KAFKA_RECORDS; i++) {
                producer.send(new ProducerRecord<>("wide", i % HOT_PARTITIONS, null,
                        "{\"visit_id\":" + i + ",\"page\":\"/products/" + (i % 97) + "\",\"duration_ms\":" + (i % 5000) + "}"));
            }
            producer.flush();
        }
    }

    private static String bootstrapServers(ChildJvm broker) {
        String line = await().atMost(Duration.ofMinutes(1)).until(() -> broker.log().lines()
                .filter(l -> l.startsWith(EmbeddedKafka.READY)).findFirst().orElse(null), java.util.Objects::nonNull);
        return line.substring(EmbeddedKafka.READY.length()).trim();
    }

    private static List<Long> timed(int runs, Runnable work) {
        List<Long> nanos = new ArrayList<>();
        for (int run = 0; run < runs; run++) {
            long start = System.nanoTime();
            work.run();
            nanos.add(System.nanoTime() - start);
        }
        return nanos;
    }

    private static long heapAfterGc() {
        System.gc();
        System.gc();
        return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    }

    private static double median(List<Window> windows, java.util.function.ToDoubleFunction<Window> figure) {
        double[] sorted = windows.stream().mapToDouble(figure).sorted().toArray();
        return sorted.length % 2 == 1 ? sorted[sorted.length / 2] : (sorted[sorted.length / 2 - 1] + sorted[sorted.length / 2]) / 2;
    }

    private static String range(List<Window> windows, java.util.function.ToDoubleFunction<Window> figure) {
        return String.format("%.0f .. %.0f", windows.stream().mapToDouble(figure).min().orElse(0), windows.stream().mapToDouble(figure).max().orElse(0));
    }

    private static double relativeSpread(List<Window> windows, java.util.function.ToDoubleFunction<Window> figure) {
        double mean = windows.stream().mapToDouble(figure).average().orElse(0);
        double variance = windows.stream().mapToDouble(figure).map(x -> (x - mean) * (x - mean)).sum() / Math.max(1, windows.size() - 1);
        return Math.sqrt(variance) / mean;
    }
}
