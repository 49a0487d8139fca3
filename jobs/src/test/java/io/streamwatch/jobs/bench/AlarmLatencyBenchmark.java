package io.streamwatch.jobs.bench;

import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.streamwatch.jobs.alarms.Alarms;
import io.streamwatch.jobs.alarms.discord.DiscordMessage;
import io.streamwatch.jobs.common.SparkSessions;
import io.streamwatch.rules.Alarm;
import io.streamwatch.rules.KafkaTopics;
import io.streamwatch.rules.Operator;
import io.streamwatch.rules.Rule;
import io.streamwatch.rules.RuleIndex;
import io.streamwatch.testkit.ChildJvm;
import io.streamwatch.testkit.EmbeddedKafka;
import io.streamwatch.testkit.Figures;
import io.streamwatch.testkit.LocalPushgateway;
import io.streamwatch.testkit.WebhookReceiver;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Stream;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The alarm latency from a metric produced to the Discord-compatible peer receiving its alarm, as a user runs the
 * alarms job (a JVM of its own, {@code local[2]}, 10,000 rules over 1,000 metric names on 50 webhooks, 20 partitions,
 * a steady 1,000 metrics/s, one record in 100 alarming all the rules of its name), side by side in one run with the
 * floor: the plain design of a consumer loop posting each alarm (no Spark, same metrics, rules and peer). Phases
 * A-B-A-B on fresh topics, checkpoints and tables, then the job on an alarms table aged to 10,000 commits. Per phase:
 * alarms expected, delivered, lost, duplicated, the latency percentiles, and for the job where the time goes (from
 * its trace), its batches per second, CPU, and its Delta commits.
 */
@Tag("benchmark")
class AlarmLatencyBenchmark {
    static final int RULES = 10_000;
    static final int NAMES = 1_000;
    static final int WEBHOOKS = 50;
    static final int RATE = 1_000;
    static final int WARMUP_SECONDS = Integer.getInteger("alarms.warmupSeconds", 15);
    static final int MEASURED_SECONDS = Integer.getInteger("alarms.measuredSeconds", 40);
    static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    EmbeddedKafka kafka;
    LocalPushgateway pushgateway;
    WebhookReceiver peer;
    List<Rule> rules;
    RuleIndex index;
    final List<String> report = new ArrayList<>();

    /** What one phase measured. */
    record Phase(String name, long expected, long delivered, long lost, long duplicated, List<Long> latencies) {
    }

    @Test
    void alarmLatencyOfTheJobAgainstTheFloor() throws Exception {
        try (EmbeddedKafka started = EmbeddedKafka.start(dir.resolve("kafka"));
             LocalPushgateway gateway = LocalPushgateway.start(dir.resolve("pushgateway"));
             WebhookReceiver discord = WebhookReceiver.discord()) {
            kafka = started;
            pushgateway = gateway;
            peer = discord;
            rules = new ArrayList<>();
            List<Map.Entry<String, String>> ruleRecords = new ArrayList<>();
            for (int i = 0; i < RULES; i++) {
                Rule rule = new Rule("r" + i, "metric-" + (i % NAMES), 0, peer.url("/api/webhooks/" + ((i + i / NAMES) % WEBHOOKS) + "/t0ken"),
                        Operator.GREATER, 0, false);
                rules.add(rule);
                ruleRecords.add(Map.entry(rule.id(), rule.toJson().toString()));
            }
            index = RuleIndex.of(rules);
            KafkaTopics.ensureRules(kafka.bootstrapServers(), "rules");
            kafka.sendKeyed("rules", ruleRecords);

            List<Phase> phases = new ArrayList<>();
            int number = 0;
            int lastJob = 0;
            int lastConsumer = 0;
            for (String kind : System.getProperty("alarms.phases", "floor,job,consumer,floor,job,consumer,aged,consumer-aged").split(",")) {
                number++;
                phases.add(switch (kind) {
                    case "floor" -> floor(number);
                    case "job" -> job(number, Alarms.MICRO_BATCH, lastJob = number);
                    case "consumer" -> job(number, Alarms.CONSUMER, lastConsumer = number);
                    case "aged" -> job(number, Alarms.MICRO_BATCH, lastJob);
                    case "consumer-aged" -> job(number, Alarms.CONSUMER, lastConsumer);
                    default -> throw new IllegalArgumentException("alarms.phases: floor, job, consumer, aged or consumer-aged, not " + kind);
                });
            }

            List<String> rows = new ArrayList<>();
            rows.add(String.format("%-34s %8s %9s %5s %5s %8s %8s %8s %8s %8s", "", "expected", "delivered", "lost", "dup", "p50", "p90",
                    "p99", "p99.9", "max"));
            for (Phase phase : phases) {
                List<Long> l = phase.latencies();
                rows.add(String.format("%-34s %8d %9d %5d %5d %8s %8s %8s %8s %8s", phase.name(), phase.expected(), phase.delivered(),
                        phase.lost(), phase.duplicated(), Figures.millis(Figures.median(l)), Figures.millis(Figures.percentile(l, 90)),
                        Figures.millis(Figures.percentile(l, 99)), Figures.millis(Figures.percentile(l, 99.9)),
                        Figures.millis(Figures.percentile(l, 100))));
            }
            Map<String, List<Long>> pooled = new java.util.LinkedHashMap<>();
            for (Phase phase : phases) {
                if (!phase.name().contains("aged")) {
                    pooled.computeIfAbsent(phase.name(), n -> new ArrayList<>()).addAll(phase.latencies());
                }
            }
            List<Long> floor = pooled.getOrDefault(FLOOR, List.of());
            pooled.forEach((path, latencies) -> {
                if (!path.equals(FLOOR) && !floor.isEmpty() && !latencies.isEmpty()) {
                    rows.add(String.format("%s / floor (phases pooled): p50 %.1fx, p99 %.1fx", path, Figures.median(latencies) / Figures.median(floor),
                            Figures.percentile(latencies, 99) / Figures.percentile(floor, 99)));
                }
            });
            rows.addAll(report);
            Figures.print("alarm latency, metric produced -> alarm received by the HTTP peer, " + RATE + " metrics/s, " + RULES + " rules over "
                    + NAMES + " names on " + WEBHOOKS + " webhooks, 1 record in 100 alarming its ~" + RULES / NAMES + " rules, " + MEASURED_SECONDS
                    + " s measured after " + WARMUP_SECONDS + " s of warm-up", rows.toArray(String[]::new));
            for (Phase phase : phases) {
                if (phase.lost() > 0 || phase.duplicated() > 0) {
                    throw new AssertionError(phase.name() + ": " + phase.lost() + " lost, " + phase.duplicated() + " duplicated");
                }
            }
        }
    }

    /** The floor: one consumer polling, each alarm posted at once, one after the other. */
    Phase floor(int phase) throws Exception {
        String topic = "metrics-" + phase;
        KafkaTopics.ensureMetrics(kafka.bootstrapServers(), topic);
        AtomicBoolean stop = new AtomicBoolean();
        java.util.concurrent.atomic.AtomicLong polled = new java.util.concurrent.atomic.AtomicLong();
        HttpClient http = HttpClient.newHttpClient();
        Thread loop = new Thread(() -> {
            try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(Map.of("bootstrap.servers", kafka.bootstrapServers(),
                    "group.id", "floor-" + phase, "auto.offset.reset", "earliest"), new StringDeserializer(), new StringDeserializer())) {
                consumer.subscribe(List.of(topic));
                while (!stop.get()) {
                    for (ConsumerRecord<String, String> record : consumer.poll(Duration.ofMillis(10))) {
                        polled.incrementAndGet();
                        double value = JSON.readTree(record.value()).get("value").asDouble();
                        for (Rule rule : index.rulesFor(record.key())) {
                            if (rule.matches(value)) {
                                Alarm alarm = new Alarm(rule.id(), record.key(), value, rule.threshold(), rule.operator(), Alarm.State.FIRING,
                                        record.timestamp(), record.topic(), record.partition(), record.offset());
                                http.send(HttpRequest.newBuilder(URI.create(rule.webhookUrl() + "?wait=true")).header("Content-Type", "application/json")
                                        .header("User-Agent", "floor").POST(HttpRequest.BodyPublishers.ofString(DiscordMessage.of(alarm).toString())).build(),
                                        HttpResponse.BodyHandlers.discarding());
                            }
                        }
                    }
                }
            } catch (Exception e) {
                if (!stop.get()) {
                    throw new IllegalStateException(e);
                }
            }
        }, "floor");
        loop.start();
        try {
            prime(topic, () -> polled.get() >= PRIMING_RECORDS);
            return produceAndMeasure(FLOOR, phase, topic);
        } finally {
            stop.set(true);
            loop.join(10_000);
        }
    }

    /**
     * The alarms job with {@code engine} in a JVM of its own, on a fresh checkpoint and the table of phase
     * {@code tablePhase}: its own, new, or an earlier phase's, aged to 10,000 commits first.
     */
    Phase job(int phase, String engine, int tablePhase) throws Exception {
        String topic = "metrics-" + phase;
        KafkaTopics.ensureMetrics(kafka.bootstrapServers(), topic);
        boolean aged = tablePhase != phase;
        String table = dir.resolve("alarms-" + tablePhase).toString();
        String agedNote = "";
        if (aged) {
            SparkSession spark = SparkSessions.getOrCreate("benchmark");
            long started = System.nanoTime();
            // A log of 10,000 commits over the files compaction keeps few: the table of a job that ran for hours.
            long added = DeltaAging.copyLastCommit(spark, table, 10_000, false);
            agedNote = String.format("aged: %d commits added in %.0f s", added, (System.nanoTime() - started) / 1e9);
        }
        Path trace = dir.resolve("trace-" + phase + ".csv");
        String name = (engine.equals(Alarms.CONSUMER) ? "consumer engine" : "micro-batch engine") + (aged ? ", table aged to 10,000 commits" : "");
        try (ChildJvm alarms = ChildJvm.start(Alarms.class, Map.of("spark.master", "local[2]", "streamwatch.alarms.trace", trace.toString()),
                dir.resolve("alarms-" + phase + ".log"), "--bootstrap-servers", kafka.bootstrapServers(), "--metrics-topic", topic,
                "--rules-topic", "rules", "--checkpoint", dir.resolve("checkpoint-" + phase).toString(), "--alarms-path", table,
                "--allowed-webhook-prefixes", peer.url("/api/webhooks/"), "--pushgateway", pushgateway.address(), "--starting-offsets", "earliest", "--engine", engine)) {
            await().atMost(Duration.ofMinutes(3)).until(() -> alarms.log().contains("matching " + topic + " against") || !alarms.isAlive());
            if (!alarms.isAlive()) {
                throw new AssertionError(alarms.logTail(40));
            }
            prime(topic, () -> Files.exists(trace) && Files.readAllLines(trace).stream().filter(line -> line.startsWith("batch")).count() >= 2);
            long[] cpu = new long[2];
            double[][] gc = new double[2][];
            Phase measured = produceAndMeasure(name, phase, topic, () -> {
                cpu[0] = cpuTicks(alarms.pid());
                gc[0] = gc(alarms.pid());
            }, () -> {
                cpu[1] = cpuTicks(alarms.pid());
                gc[1] = gc(alarms.pid());
            });
            alarms.terminate();
            if (alarms.awaitExit(Duration.ofSeconds(90)) != 0) {
                throw new AssertionError(alarms.logTail(40));
            }
            breakdown(name, phase, trace, cpu[1] - cpu[0], new double[] {gc[1][0] - gc[0][0], gc[1][1] - gc[0][1]});
            deltaFigures(table, topic, measured, agedNote);
            return measured;
        }
    }

    static final int PRIMING_RECORDS = 2_000;
    static final String FLOOR = "floor (consumer loop, a post per alarm)";

    /** Records that raise nothing, until the path under test has taken them (a cold start is not what is measured). */
    void prime(String topic, java.util.concurrent.Callable<Boolean> primed) throws Exception {
        List<Map.Entry<String, String>> records = new ArrayList<>();
        for (int i = 0; i < PRIMING_RECORDS; i++) {
            records.add(Map.entry("metric-" + i % NAMES, "{\"value\": -1}"));
        }
        kafka.sendKeyed(topic, records);
        await().atMost(Duration.ofMinutes(3)).pollInterval(Duration.ofMillis(200)).until(primed);
    }

    Phase produceAndMeasure(String name, int phase, String topic) throws Exception {
        return produceAndMeasure(name, phase, topic, () -> { }, () -> { });
    }

    /** Values of this phase: phase * 10^7 + sequence, so each alarm names its phase and record. */
    final Map<Long, Long> producedAt = new ConcurrentHashMap<>();
    final Map<Integer, long[]> measuredWindow = new HashMap<>();

    Phase produceAndMeasure(String name, int phase, String topic, Runnable measuringStarts, Runnable measuringEnds) throws Exception {
        long base = phase * 10_000_000L;
        Set<String> expected = new HashSet<>();
        Set<Long> measuredValues = new HashSet<>();
        long firstMeasured = (long) RATE * WARMUP_SECONDS;
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(Map.of("bootstrap.servers", kafka.bootstrapServers(), "linger.ms", "0", "enable.idempotence", "false"),
                new StringSerializer(), new StringSerializer())) {
            long start = System.nanoTime();
            long total = (long) RATE * (WARMUP_SECONDS + MEASURED_SECONDS);
            for (long k = 1; k <= total; k++) {
                long wait = start + k * 1_000_000_000L / RATE - System.nanoTime();
                if (wait > 0) {
                    TimeUnit.NANOSECONDS.sleep(wait);
                }
                if (k == firstMeasured) {
                    measuringStarts.run();
                    measuredWindow.put(phase, new long[] {System.currentTimeMillis(), 0});
                }
                String metric = "metric-" + (k % NAMES);
                boolean alarms = k % 100 == 0;
                long value = alarms ? base + k : -1;
                if (alarms) {
                    producedAt.put(value, System.currentTimeMillis());
                    for (Rule rule : index.rulesFor(metric)) {
                        expected.add(rule.id() + "@" + value);
                    }
                    if (k > firstMeasured) {
                        measuredValues.add(value);
                    }
                }
                producer.send(new ProducerRecord<>(topic, metric, "{\"value\": " + value + "}"));
            }
            measuringEnds.run();
            measuredWindow.get(phase)[1] = System.currentTimeMillis();
        }
        try {
            await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(500)).until(() -> received(base).size() >= expected.size());
        } catch (org.awaitility.core.ConditionTimeoutException e) {
            report.add(name + ": " + received(base).size() + " of " + expected.size() + " alarms received 120 s after the last metric");
        }
        // What arrives a little later would be a duplicate: give it the time to show.
        long settle = System.currentTimeMillis() + 3_000;
        await().atMost(Duration.ofSeconds(10)).until(() -> System.currentTimeMillis() >= settle);
        List<WebhookReceiver.Delivery> deliveries = received(base);
        Set<String> unique = new HashSet<>();
        List<Long> latencies = new ArrayList<>();
        for (WebhookReceiver.Delivery delivery : deliveries) {
            JsonNode fields = delivery.body().get("embeds").get(0).get("fields");
            long value = (long) Double.parseDouble(fields.get(2).get("value").asText());
            if (unique.add(fields.get(0).get("value").asText() + "@" + value) && measuredValues.contains(value)) {
                latencies.add((delivery.receivedAtMillis() - producedAt.get(value)) * 1_000_000L);
            }
        }
        Set<String> lost = new HashSet<>(expected);
        lost.removeAll(unique);
        Phase measured = new Phase(name, expected.size(), unique.size(), lost.size(), deliveries.size() - unique.size(), latencies);
        System.out.printf("phase %d, %s: %d expected, %d delivered, p50 %s, p99 %s%n", phase, name, measured.expected(), measured.delivered(),
                Figures.millis(Figures.median(latencies)), Figures.millis(Figures.percentile(latencies, 99)));
        return measured;
    }

    /** The peer's accepted alarms of one phase. */
    List<WebhookReceiver.Delivery> received(long base) {
        List<WebhookReceiver.Delivery> phase = new ArrayList<>();
        for (WebhookReceiver.Delivery delivery : peer.accepted()) {
            double value = Double.parseDouble(delivery.body().get("embeds").get(0).get("fields").get(2).get("value").asText());
            if (value >= base && value < base + 10_000_000L) {
                phase.add(delivery);
            }
        }
        return phase;
    }

    /** Where an alarm's time went in the job, per stage (median and p99 over the measured alarms), from its trace. */
    void breakdown(String name, int phase, Path trace, long cpuTicks, double[] gc) throws Exception {
        long[] window = measuredWindow.get(phase);
        Map<Long, long[]> batches = new HashMap<>();
        Map<String, Long> sent = new HashMap<>();
        int batchesInWindow = 0;
        Map<Long, Map<String, Long>> triggers = new HashMap<>();
        List<Long> commitMillis = new ArrayList<>();
        long committedBatches = 0;
        for (String line : Files.readAllLines(trace)) {
            String[] f = line.split(",");
            if (f[0].equals("batch")) {
                long[] moments = {Long.parseLong(f[2]), Long.parseLong(f[3]), Long.parseLong(f[4])};
                batches.put(Long.parseLong(f[1]), moments);
                if (moments[0] >= window[0] && moments[0] < window[1]) {
                    batchesInWindow++;
                }
            } else if (f[0].equals("progress") && f.length > 2) {
                Map<String, Long> durations = new java.util.TreeMap<>();
                for (String part : f[2].split(";")) {
                    String[] kv = part.split("=");
                    if (kv.length == 2) {
                        durations.put(kv[0], Long.parseLong(kv[1]));
                    }
                }
                triggers.put(Long.parseLong(f[1]), durations);
            } else if (f[0].equals("recorded")) {
                commitMillis.add((Long.parseLong(f[5]) - Long.parseLong(f[4])) * 1_000_000L);
                committedBatches += Long.parseLong(f[2]) - Long.parseLong(f[1]) + 1;
            } else if (f[0].equals("sent")) {
                sent.putIfAbsent(f[2] + "@" + (long) Double.parseDouble(f[3]) + "#" + f[1], Long.parseLong(f[4]));
            }
        }
        List<List<Long>> stages = List.of(new ArrayList<>(), new ArrayList<>(), new ArrayList<>(), new ArrayList<>(), new ArrayList<>());
        Map<String, Long> receivedAt = new HashMap<>();
        for (WebhookReceiver.Delivery delivery : received(phase * 10_000_000L)) {
            JsonNode fields = delivery.body().get("embeds").get(0).get("fields");
            receivedAt.putIfAbsent(fields.get(0).get("value").asText() + "@" + (long) Double.parseDouble(fields.get(2).get("value").asText()),
                    delivery.receivedAtMillis());
        }
        for (Map.Entry<String, Long> entry : sent.entrySet()) {
            String alarm = entry.getKey().substring(0, entry.getKey().indexOf('#'));
            long batchId = Long.parseLong(entry.getKey().substring(entry.getKey().indexOf('#') + 1));
            long value = Long.parseLong(alarm.substring(alarm.indexOf('@') + 1));
            Long produced = producedAt.get(value);
            long[] batch = batches.get(batchId);
            Long received = receivedAt.get(alarm);
            if (produced == null || batch == null || received == null || produced < window[0]) {
                continue;
            }
            long[] moments = {produced, batch[0], batch[1], batch[2], entry.getValue(), received};
            for (int stage = 0; stage < 5; stage++) {
                stages.get(stage).add((moments[stage + 1] - moments[stage]) * 1_000_000L);
            }
        }
        String[] labels = {"produced -> batch began", "batch began -> matched", "matched -> in the outbox", "outbox -> sent", "sent -> received"};
        report.add(name + ": where the time goes per alarm (median / p99)");
        for (int stage = 0; stage < 5; stage++) {
            report.add(String.format("    %-26s %8s / %8s", labels[stage], Figures.millis(Figures.median(stages.get(stage))),
                    Figures.millis(Figures.percentile(stages.get(stage), 99))));
        }
        double seconds = (window[1] - window[0]) / 1000.0;
        report.add(String.format("    %.1f batches/s while measured; CPU %.2f cores of 2; GC %.0f collections, %.2f s (jstat)", batchesInWindow / seconds,
                cpuTicks / 100.0 / seconds, gc[0], gc[1]));
        Map<String, List<Long>> byPhase = new java.util.TreeMap<>();
        triggers.forEach((batchId, durations) -> {
            long[] batch = batches.get(batchId);
            if (batch != null && batch[0] >= window[0] && batch[0] < window[1]) {
                durations.forEach((sparkPhase, millis) -> byPhase.computeIfAbsent(sparkPhase, k -> new ArrayList<>()).add(millis * 1_000_000L));
            }
        });
        if (!byPhase.isEmpty()) {
            StringBuilder line = new StringBuilder("    Spark per trigger (median / p99):");
            byPhase.forEach((sparkPhase, values) -> line.append(String.format(" %s %s / %s;", sparkPhase, Figures.millis(Figures.median(values)),
                    Figures.millis(Figures.percentile(values, 99)))));
            report.add(line.toString());
        }
        report.add(String.format("    Delta commits of the recorder: %d, %.1f batches each, commit time median %s, p99 %s", commitMillis.size(),
                commitMillis.isEmpty() ? 0.0 : (double) committedBatches / commitMillis.size(), Figures.millis(Figures.median(commitMillis)),
                Figures.millis(Figures.percentile(commitMillis, 99))));
    }

    /** The alarms table at the end: exactly the alarms delivered (of this phase's topic), its commits, files and log entries. */
    void deltaFigures(String table, String topic, Phase phase, String agedNote) throws Exception {
        SparkSession spark = SparkSessions.getOrCreate("benchmark");
        org.apache.spark.sql.Dataset<org.apache.spark.sql.Row> rows = spark.read().format("delta").load(table).where("topic = '" + topic + "'");
        long all = rows.count();
        long distinct = rows.select("rule_id", "partition", "offset").distinct().count();
        long logEntries;
        try (Stream<Path> log = Files.list(Path.of(table, "_delta_log"))) {
            logEntries = log.filter(f -> f.toString().endsWith(".json")).count();
        }
        long dataFiles = spark.read().format("delta").load(table).inputFiles().length;
        report.add(String.format("    alarms table: %d rows of this phase, %d distinct (rule, record); %d log entries, %d data files in the snapshot%s",
                all, distinct, logEntries, dataFiles, agedNote.isEmpty() ? "" : "; " + agedNote));
        if (all != distinct || all != phase.delivered()) {
            throw new AssertionError(phase.name() + ": the alarms table holds " + all + " alarms (" + distinct + " distinct), "
                    + phase.delivered() + " were delivered");
        }
    }

    /** The process's garbage collections so far and their time in seconds, from the JDK's jstat (zeros when it cannot tell). */
    static double[] gc(long pid) {
        try {
            Process jstat = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "jstat").toString(), "-gc", String.valueOf(pid))
                    .redirectErrorStream(true).start();
            List<String> lines = new String(jstat.getInputStream().readAllBytes()).lines().filter(l -> !l.isBlank()).toList();
            jstat.waitFor(10, TimeUnit.SECONDS);
            List<String> names = List.of(lines.get(0).trim().split("\\s+"));
            String[] values = lines.get(1).trim().split("\\s+");
            double collections = 0;
            for (String count : List.of("YGC", "FGC", "CGC")) {
                if (names.contains(count)) {
                    collections += Double.parseDouble(values[names.indexOf(count)]);
                }
            }
            return new double[] {collections, Double.parseDouble(values[names.indexOf("GCT")])};
        } catch (Exception e) {
            return new double[] {0, 0};
        }
    }

    /** The process's user + system CPU time in clock ticks (1/100 s). */
    static long cpuTicks(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc", String.valueOf(pid), "stat"));
            String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            return Long.parseLong(f[11]) + Long.parseLong(f[12]);
        } catch (Exception e) {
            return 0;
        }
    }
}
