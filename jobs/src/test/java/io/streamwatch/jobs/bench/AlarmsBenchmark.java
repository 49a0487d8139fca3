package io.streamwatch.jobs.bench;

import io.streamwatch.jobs.alarms.Alarms;
import io.streamwatch.jobs.common.Jobs;
import io.streamwatch.jobs.common.SparkSessions;

import io.streamwatch.jobs.alarms.Alarms;
import io.streamwatch.jobs.common.Jobs;
import io.streamwatch.jobs.common.SparkSessions;
import io.streamwatch.rules.KafkaTopics;
import io.streamwatch.rules.Operator;
import io.streamwatch.rules.Rule;
import io.streamwatch.rules.RuleIndex;
import io.streamwatch.testkit.EmbeddedKafka;
import io.streamwatch.testkit.Figures;
import io.streamwatch.testkit.LocalPushgateway;
import io.streamwatch.testkit.WebhookReceiver;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Figures for the README: matching 10,000 rules over 1,000 metric names by index against the seed's loop over all
 * rules, in one run; and the alarm latency from a metric produced to the HTTP peer receiving its alarm, at a
 * steady 1,000 metrics/s through the Spark alarms job.
 */
@Tag("benchmark")
class AlarmsBenchmark {
    static final int RULES = 10_000;
    static final int NAMES = 1_000;

    @TempDir
    Path dir;

    @Test
    void matchingByIndexAgainstTheSeedsLoop() {
        Random random = new Random(42);
        List<Rule> rules = new ArrayList<>();
        for (int i = 0; i < RULES; i++) {
            rules.add(new Rule("r" + i, "metric-" + random.nextInt(NAMES), random.nextInt(1000), "https://discord.com/api/webhooks/1/x",
                    Operator.GREATER, 0, false));
        }
        RuleIndex index = RuleIndex.of(rules);
        String[] names = new String[200_000];
        double[] values = new double[names.length];
        for (int i = 0; i < names.length; i++) {
            names[i] = "metric-" + random.nextInt(NAMES + NAMES / 10); // a tenth of the names have no rule
            values[i] = random.nextInt(1000);
        }
        long indexMatches = 0;
        long seedMatches = 0;
        for (int warmup = 0; warmup < 3; warmup++) {
            indexMatches = byIndex(index, names, values, names.length);
            seedMatches = seedLoop(rules, names, values, 2_000);
        }
        long start = System.nanoTime();
        indexMatches = byIndex(index, names, values, names.length);
        double indexNanos = System.nanoTime() - start;
        int seedCount = 20_000;
        start = System.nanoTime();
        seedMatches = seedLoop(rules, names, values, seedCount);
        double seedNanos = System.nanoTime() - start;
        long indexOnSeedRecords = byIndex(index, names, values, seedCount);
        double indexRate = names.length / (indexNanos / 1e9);
        double seedRate = seedCount / (seedNanos / 1e9);
        Figures.print("matching " + RULES + " rules over " + NAMES + " metric names (one JVM thread, same records)",
                String.format("%-28s %16s %14s", "", "metrics/s", "per metric"),
                String.format("%-28s %16.0f %14s", "index metric_name -> rules", indexRate, Figures.micros(indexNanos / names.length)),
                String.format("%-28s %16.0f %14s", "seed: loop over all rules", seedRate, Figures.micros(seedNanos / seedCount)),
                String.format("index / seed: %.0fx", indexRate / seedRate),
                "same alarms on the first " + seedCount + " records: " + (seedMatches == indexOnSeedRecords) + " (" + seedMatches
                        + " alarms); index over all " + names.length + " records: " + indexMatches + " alarms");
        if (seedMatches != indexOnSeedRecords) {
            throw new AssertionError("the index and the loop disagree");
        }
    }

    static long byIndex(RuleIndex index, String[] names, double[] values, int count) {
        long matches = 0;
        for (int i = 0; i < count; i++) {
            for (Rule rule : index.rulesFor(names[i])) {
                if (rule.matches(values[i])) {
                    matches++;
                }
            }
        }
        return matches;
    }

    static long seedLoop(List<Rule> rules, String[] names, double[] values, int count) {
        long matches = 0;
        for (int i = 0; i < count; i++) {
            for (Rule rule : rules) {
                if (names[i].equals(rule.metricName()) && values[i] > rule.threshold()) {
                    matches++;
                }
            }
        }
        return matches;
    }

    @Test
    void alarmLatencyAtASteadyThousandMetricsPerSecond() throws Exception {
        int rate = 1_000;
        int warmupSeconds = 15;
        int measuredSeconds = 45;
        SparkSessions.getOrCreate("benchmark");
        ExecutorService background = Executors.newSingleThreadExecutor();
        try (EmbeddedKafka kafka = EmbeddedKafka.start(dir.resolve("kafka"));
             LocalPushgateway pushgateway = LocalPushgateway.start(dir.resolve("pushgateway"));
             WebhookReceiver discord = WebhookReceiver.discord()) {
            KafkaTopics.ensureRules(kafka.bootstrapServers(), "rules");
            KafkaTopics.ensureMetrics(kafka.bootstrapServers(), "metrics");
            List<Map.Entry<String, String>> ruleRecords = new ArrayList<>();
            for (int i = 0; i < NAMES; i++) {
                Rule rule = new Rule("r" + i, "metric-" + i, 0, discord.url("/api/webhooks/" + (i % 10) + "/t"), Operator.GREATER, 0, false);
                ruleRecords.add(Map.entry(rule.id(), rule.toJson().toString()));
            }
            kafka.sendKeyed("rules", ruleRecords);
            Future<Integer> job = background.submit(() -> Jobs.execute(new Alarms(), "--bootstrap-servers", kafka.bootstrapServers(),
                    "--checkpoint", dir.resolve("checkpoint").toString(), "--alarms-path", dir.resolve("alarms").toString(),
                    "--allowed-webhook-prefixes", discord.url("/api/webhooks/"), "--pushgateway", pushgateway.address()));
            // Started, and its first batch has planned its offsets ("latest").
            org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(120))
                    .until(() -> SparkSessions.activeQuery(SparkSessions.getOrCreate("benchmark"), Alarms.QUERY_NAME)
                            .map(query -> query.lastProgress() != null).orElse(false));

            // One record in 100 alarms: its value is its sequence number, the others -1 (threshold 0).
            Map<Long, Long> producedAt = new ConcurrentHashMap<>();
            try (KafkaProducer<String, String> producer = new KafkaProducer<>(Map.of("bootstrap.servers", kafka.bootstrapServers(),
                    "linger.ms", "0"), new StringSerializer(), new StringSerializer())) {
                long start = System.nanoTime();
                long total = (long) rate * (warmupSeconds + measuredSeconds);
                for (long k = 1; k <= total; k++) {
                    long due = start + k * 1_000_000_000L / rate;
                    long wait = due - System.nanoTime();
                    if (wait > 0) {
                        TimeUnit.NANOSECONDS.sleep(wait);
                    }
                    boolean alarms = k % 100 == 0;
                    if (alarms) {
                        producedAt.put(k, System.currentTimeMillis());
                    }
                    producer.send(new ProducerRecord<>("metrics", "metric-" + (k % NAMES), "{\"value\": " + (alarms ? k : -1) + "}"));
                }
            }
            long expected = producedAt.size();
            org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(120)).until(() -> discord.accepted().size() >= expected);
            List<Long> latencies = new ArrayList<>();
            long firstMeasured = (long) rate * warmupSeconds;
            for (WebhookReceiver.Delivery delivery : discord.accepted()) {
                long k = Long.parseLong(delivery.body().get("embeds").get(0).get("fields").get(2).get("value").asText());
                if (k > firstMeasured) {
                    latencies.add((delivery.receivedAtMillis() - producedAt.get(k)) * 1_000_000L);
                }
            }
            SparkSessions.activeQuery(SparkSessions.getOrCreate("benchmark"), Alarms.QUERY_NAME).orElseThrow().stop();
            job.get(60, TimeUnit.SECONDS);
            Figures.print("alarm latency, metric produced -> alarm received by the HTTP peer, " + rate + " metrics/s for "
                            + measuredSeconds + " s after " + warmupSeconds + " s of warm-up, " + NAMES + " rules, 1 record in 100 alarms",
                    String.format("alarms measured: %d of %d delivered", latencies.size(), discord.accepted().size()),
                    "p50 " + Figures.millis(Figures.median(latencies)) + ", p99 " + Figures.millis(Figures.percentile(latencies, 99))
                            + ", max " + Figures.millis(Figures.percentile(latencies, 100)));
        } finally {
            background.shutdownNow();
        }
    }
}
