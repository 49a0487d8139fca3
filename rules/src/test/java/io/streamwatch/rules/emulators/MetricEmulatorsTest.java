package io.streamwatch.rules.emulators;

import io.streamwatch.cli.Cli;
import io.streamwatch.rules.api.RulesService;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.streamwatch.testkit.EmbeddedKafka;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The emulators' first records against the seed's sample output, on a real broker; the command lines' exit codes. */
class MetricEmulatorsTest {
    @TempDir
    static Path dir;
    static EmbeddedKafka kafka;

    @BeforeAll
    static void start() {
        kafka = EmbeddedKafka.start(dir);
    }

    @AfterAll
    static void stop() {
        kafka.close();
    }

    static List<String> published(String topic, String... args) {
        String[] all = new String[args.length + 5];
        System.arraycopy(args, 0, all, 0, args.length);
        System.arraycopy(new String[] {"--bootstrap-servers", kafka.bootstrapServers(), "--topic", topic, "--quiet"}, 0, all, args.length, 5);
        assertEquals(0, Cli.execute(new MetricEmulators(), all));
        return kafka.read(topic).stream().sorted(java.util.Comparator.comparingLong(EmbeddedKafka.Record::offset))
                .map(r -> r.key() + ": " + r.value()).toList();
    }

    @Test
    void constantAsTheSeedShows_everyPeriodWhichMayBeAFraction() {
        long start = System.nanoTime();
        List<String> records = published("constant", "constant", "packages-received", "501", "0.2", "--count", "6");
        assertTrue(System.nanoTime() - start >= 1_000_000_000L, "5 periods of 0.2 s");
        assertEquals(java.util.Collections.nCopies(6, "packages-received: {\"value\": 501}"), records);
        try (var admin = kafka.admin()) {
            assertEquals(20, admin.describeTopics(List.of("constant")).allTopicNames().get().get("constant").partitions().size());
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void spikesFirstThenEveryFrequencyth() {
        // python3 spikes.py packages-received 450 550 1 3 (one partition per key: order kept)
        List<String> records = published("spikes", "spikes", "packages-received", "450", "550", "0", "3", "--count", "7");
        assertEquals(List.of(550, 450, 450, 550, 450, 450, 550), values(records));
    }

    @Test
    void stairsFromStartToEndInclusiveThenStartAgain() {
        // python3 stairs.py packages-received 480 510 5 1
        assertEquals(List.of(480, 485, 490, 495, 500, 505, 510, 480, 485, 490, 495, 500, 505, 510, 480),
                values(published("stairs", "stairs", "packages-received", "480", "510", "5", "0", "--count", "15")));
        // A step that does not land on END: END itself, then wrap.
        assertEquals(List.of(0, 4, 8, 10, 0, 4), values(published("stairs-uneven", "stairs", "s", "0", "10", "4", "0", "--count", "6")));
        assertEquals(List.of(10, 7, 4, 1, 0, 10), values(published("stairs-down", "stairs", "s", "10", "0", "-3", "0", "--count", "6")));
    }

    static List<Integer> values(List<String> records) {
        return records.stream().map(r -> {
            String json = r.substring(r.indexOf(": ") + 2);
            assertTrue(json.matches("\\{\"value\": -?[0-9.]+}"), "a JSON number, not a string: " + json);
            return Integer.parseInt(json.replaceAll("[^0-9-]", ""));
        }).toList();
    }

    @Test
    void badArgumentsExit2() throws Exception {
        String kafkaAt = kafka.bootstrapServers();
        assertEquals(2, Cli.execute(new MetricEmulators()));
        assertEquals(2, Cli.execute(new MetricEmulators(), "constant", "m", "1"));
        assertEquals(2, Cli.execute(new MetricEmulators(), "constant", "m", "abc", "1"));
        assertEquals(2, Cli.execute(new MetricEmulators(), "constant", "m", "1", "-1", "--bootstrap-servers", kafkaAt));
        assertEquals(2, Cli.execute(new MetricEmulators(), "spikes", "m", "1", "2", "1", "0", "--bootstrap-servers", kafkaAt));
        assertEquals(2, Cli.execute(new MetricEmulators(), "stairs", "m", "0", "10", "-1", "1", "--bootstrap-servers", kafkaAt));
        assertEquals(2, Cli.execute(new MetricEmulators(), "stairs", "m", "0", "10", "0", "1", "--bootstrap-servers", kafkaAt));
        assertEquals(0, Cli.execute(new MetricEmulators(), "stairs", "--help"));

        assertEquals(2, Cli.execute(new RulesService(), "--bootstrap-servers", kafkaAt), "no token and no --no-auth");
        Path token = Files.writeString(dir.resolve("token"), "t0ken\n");
        assertEquals(2, Cli.execute(new RulesService(), "--token-file", token.toString(), "--no-auth"));
        assertEquals(2, Cli.execute(new RulesService(), "--token-file", dir.resolve("missing").toString()));
        assertEquals(2, Cli.execute(new RulesService(), "--no-auth", "--allowed-webhook-prefixes", "https://discord.com"));
        assertEquals(2, Cli.execute(new RulesService(), "--no-auth", "--port", "70000"));
        assertEquals(2, Cli.execute(new RulesService(), "--no-auth", "--topic", "a b"));
        assertEquals(2, Cli.execute(new RulesService(), "--bogus"));
        assertEquals(0, Cli.execute(new RulesService(), "--help"));
    }
}
