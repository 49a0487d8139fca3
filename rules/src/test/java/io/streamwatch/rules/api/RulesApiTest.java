package io.streamwatch.rules.api;

import io.streamwatch.rules.RuleJson;
import io.streamwatch.rules.WebhookPrefixes;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.streamwatch.testkit.EmbeddedKafka;
import io.streamwatch.testkit.Http;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.common.config.ConfigResource;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The rules API on a real broker: the seed's curl examples, read-your-writes, bad inputs, two instances. */
class RulesApiTest {
    static final String TOKEN = "s3cret-token";
    static final String AUTH = "Bearer " + TOKEN;
    static final String SEED_URL = "https://discordapp.com/api/webhooks/15434354352132/hfaslkdfhjsahldkf_02340lasdhf_fksdlf";
    static final String SEED_BODY = """
            {
                "metric_name": "packages-received",
                "threshold": 500,
                "discord_webhook_url": "%s"
            }""".formatted(SEED_URL);

    @TempDir
    static Path dir;
    static EmbeddedKafka kafka;
    static RulesApi api;
    static RulesApi other;

    @BeforeAll
    static void start() throws Exception {
        kafka = EmbeddedKafka.start(dir);
        api = RulesApi.start(settings());
        other = RulesApi.start(settings());
    }

    static RulesApi.Settings settings() {
        return new RulesApi.Settings("127.0.0.1", 0, kafka.bootstrapServers(), "rules", WebhookPrefixes.discord(),
                ApiToken.load(null, TOKEN));
    }

    @AfterAll
    static void stop() {
        other.close();
        api.close();
        kafka.close();
    }

    static String url(RulesApi instance, String path) {
        return "http://127.0.0.1:" + instance.port() + path;
    }

    static Http.Response call(String method, String path, String body) {
        return Http.send(method, url(api, path), body, "Authorization", AUTH, "Content-Type", "application/json");
    }

    static JsonNode json(Http.Response response) throws Exception {
        return RuleJson.JSON.readTree(response.body());
    }

    @Test
    void seedExamplesPublishTheRuleAndATombstoneKeyedByItsId() throws Exception {
        Http.Response created = call("POST", "/rules", SEED_BODY);
        assertEquals(201, created.status(), created.body());
        JsonNode rule = json(created);
        String id = rule.get("id").asText();
        assertEquals(id, java.util.UUID.fromString(id).toString());
        assertEquals("packages-received", rule.get("metric_name").asText());
        assertEquals("500", rule.get("threshold").toString());
        assertEquals(WebhookPrefixes.mask(SEED_URL), rule.get("discord_webhook_url").asText(), "the answer masks the token");
        assertFalse(created.body().contains("hfaslkdfhjsahldkf"), created.body());
        assertEquals(">", rule.get("operator").asText());
        assertEquals(0, rule.get("cooldown_seconds").asInt());
        assertFalse(rule.get("notify_resolved").asBoolean());

        EmbeddedKafka.Record published = last(id);
        com.fasterxml.jackson.databind.node.ObjectNode record = (com.fasterxml.jackson.databind.node.ObjectNode) RuleJson.JSON.readTree(published.value());
        assertEquals(SEED_URL, record.get("discord_webhook_url").asText(), "the topic keeps the URL");
        assertEquals(rule, record.put("discord_webhook_url", WebhookPrefixes.mask(SEED_URL)));

        Http.Response deleted = call("DELETE", "/rules/" + id, null);
        assertEquals(200, deleted.status());
        assertEquals("{}", deleted.body());
        EmbeddedKafka.Record tombstone = last(id);
        assertNull(tombstone.value());
        assertEquals(published.partition(), tombstone.partition());
        assertEquals(404, Http.send("GET", url(api, "/rules/" + id), null).status());
    }

    static EmbeddedKafka.Record last(String key) {
        List<EmbeddedKafka.Record> records = kafka.read("rules").stream().filter(r -> key.equals(r.key())).toList();
        return records.get(records.size() - 1);
    }

    @Test
    void aReadRightAfterAWriteSeesIt_andGetMasksTheWebhookToken() throws Exception {
        for (int i = 0; i < 5; i++) {
            String id = json(call("POST", "/rules", SEED_BODY)).get("id").asText();
            JsonNode got = json(Http.send("GET", url(api, "/rules/" + id), null));
            assertEquals(id, got.get("id").asText());
            assertEquals("https://discordapp.com/api/webhooks/15434354352132/****", got.get("discord_webhook_url").asText());
            String list = Http.send("GET", url(api, "/rules"), null).body();
            assertTrue(list.contains(id));
            assertFalse(list.contains("hfaslkdfhjsahldkf"), "the token of a webhook is never listed");
            assertEquals(200, call("DELETE", "/rules/" + id, null).status());
            assertEquals(404, Http.send("GET", url(api, "/rules/" + id), null).status());
        }
    }

    @Test
    void putReplacesAndPatchChangesOnlyTheFieldsGiven() throws Exception {
        String id = json(call("POST", "/rules", SEED_BODY)).get("id").asText();
        Http.Response replaced = call("PUT", "/rules/" + id, """
                {"metric_name": "cpu", "threshold": 0.5, "discord_webhook_url": "https://discord.com/api/webhooks/1/abc",
                 "operator": "<=", "cooldown_seconds": 30, "notify_resolved": true}""");
        assertEquals(200, replaced.status(), replaced.body());
        JsonNode patched = json(call("PATCH", "/rules/" + id, "{\"threshold\": 0.25}"));
        assertEquals("cpu", patched.get("metric_name").asText());
        assertEquals(0.25, patched.get("threshold").asDouble());
        assertEquals("https://discord.com/api/webhooks/1/****", patched.get("discord_webhook_url").asText());
        assertEquals("<=", patched.get("operator").asText());
        assertEquals(30, patched.get("cooldown_seconds").asInt());
        com.fasterxml.jackson.databind.node.ObjectNode published = (com.fasterxml.jackson.databind.node.ObjectNode) RuleJson.JSON.readTree(last(id).value());
        assertEquals("https://discord.com/api/webhooks/1/abc", published.get("discord_webhook_url").asText(), "the topic keeps the URL");
        published.put("discord_webhook_url", "https://discord.com/api/webhooks/1/****");
        assertEquals(patched, published);
        assertEquals(0.25, json(Http.send("GET", url(api, "/rules/" + id), null)).get("threshold").asDouble());
    }

    @Test
    void badInputsGetTheirCodes_oneMessagePerField_andNothingReachesTheTopic() throws Exception {
        String id = json(call("POST", "/rules", SEED_BODY)).get("id").asText();
        long before = kafka.records("rules");

        assertEquals(401, Http.send("POST", url(api, "/rules"), SEED_BODY).status());
        assertEquals(401, Http.send("POST", url(api, "/rules"), SEED_BODY, "Authorization", "Bearer wrong").status());
        assertEquals(401, Http.send("DELETE", url(api, "/rules/" + id), null, "Authorization", "Basic " + TOKEN).status());
        assertEquals(401, Http.send("PUT", url(api, "/rules/" + id), SEED_BODY).status());

        Http.Response notJson = call("POST", "/rules", "metric_name=cpu");
        assertEquals(400, notJson.status());
        assertTrue(json(notJson).get("error").asText().startsWith("the body is not JSON"));
        assertEquals(400, call("POST", "/rules", "[1, 2]").status());
        assertEquals(400, call("POST", "/rules", "{\"threshold\": 1, \"threshold\": 2}").status());

        Http.Response empty = call("POST", "/rules", "{}");
        assertEquals(422, empty.status());
        assertEquals(List.of("metric_name is required", "threshold is required", "discord_webhook_url is required"), errors(empty));

        Http.Response bad = call("POST", "/rules", """
                {"metric_name": "cpu", "threshold": "90", "discord_webhook_url": "https://evil.example/api/webhooks/1/x",
                 "operator": "=>", "cooldown_seconds": -1, "notify_resolved": "yes", "treshold": 3}""");
        assertEquals(422, bad.status());
        List<String> messages = errors(bad);
        assertEquals(6, messages.size(), messages.toString());
        assertTrue(messages.get(0).startsWith("unknown field 'treshold'"));
        assertTrue(messages.contains("threshold must be a number"));
        assertTrue(messages.contains("operator must be one of >, >=, <, <="));
        assertTrue(messages.contains("cooldown_seconds must be a whole number of seconds, 0 or more"));
        assertTrue(messages.contains("notify_resolved must be true or false"));
        assertTrue(messages.stream().anyMatch(m -> m.startsWith("discord_webhook_url must be a URL under one of the allowed prefixes")));
        assertFalse(bad.body().contains("evil.example"), "a refused webhook URL is not echoed");

        for (String sneaky : List.of("https://discord.com/api/webhooks/../../../evil", "https://discord.com/api/webhooks/",
                "https://discord.com.evil.example/api/webhooks/1/x", "http://discord.com/api/webhooks/1/x",
                "https://discord.com/api/webhooks/1/x#frag", "https://discord.com/api/webhooks/1/x y")) {
            Http.Response refused = call("POST", "/rules", "{\"metric_name\": \"m\", \"threshold\": 1, \"discord_webhook_url\": \""
                    + sneaky + "\"}");
            assertEquals(422, refused.status(), sneaky);
        }
        assertEquals(422, call("PUT", "/rules/" + id, "{\"metric_name\": \"m\"}").status());
        assertEquals(422, call("PATCH", "/rules/" + id, "{\"id\": \"another\"}").status());

        String unknown = java.util.UUID.randomUUID().toString();
        assertEquals(404, call("DELETE", "/rules/" + unknown, null).status());
        assertEquals(404, call("PUT", "/rules/" + unknown, SEED_BODY).status());
        assertEquals(404, call("PATCH", "/rules/" + unknown, "{}").status());
        assertEquals(404, Http.send("GET", url(api, "/rules/" + unknown), null).status());

        assertEquals(before, kafka.records("rules"), "nothing malformed reached the topic");
    }

    static List<String> errors(Http.Response response) throws Exception {
        List<String> messages = new java.util.ArrayList<>();
        json(response).get("errors").forEach(message -> messages.add(message.asText()));
        return messages;
    }

    @Test
    void everyInstanceSeesEveryRule_andTombstonesNullOrEmptyOrMalformedRecordsNeverBreakTheView() throws Exception {
        List<String> ids = new java.util.ArrayList<>();
        for (int i = 0; i < 9; i++) {
            ids.add(json(call("POST", "/rules", SEED_BODY.replace("packages-received", "m" + i))).get("id").asText());
        }
        await().atMost(Duration.ofSeconds(5)).until(() -> ids.stream().allMatch(id -> other.rules().stream().anyMatch(r -> r.id().equals(id))));

        kafka.sendKeyed("rules", List.of(Map.entry(ids.get(0), ""), Map.entry("junk", "{not json"),
                Map.entry("half", "{\"metric_name\": \"x\"}")));
        kafka.sendKeyed("rules", List.of(new java.util.AbstractMap.SimpleEntry<>(ids.get(1), null)));
        String afterJunk = json(call("POST", "/rules", SEED_BODY)).get("id").asText();
        await().atMost(Duration.ofSeconds(5)).until(() -> other.rules().stream().anyMatch(r -> r.id().equals(afterJunk)));
        for (RulesApi instance : List.of(api, other)) {
            assertEquals(404, Http.send("GET", url(instance, "/rules/" + ids.get(0)), null).status());
            assertEquals(404, Http.send("GET", url(instance, "/rules/" + ids.get(1)), null).status());
            assertEquals(404, Http.send("GET", url(instance, "/rules/junk"), null).status());
            assertEquals(200, Http.send("GET", url(instance, "/rules/" + ids.get(2)), null).status());
        }
        // The other instance deletes; this one sees it.
        assertEquals(200, Http.send("DELETE", url(other, "/rules/" + ids.get(3)), null, "Authorization", AUTH).status());
        await().atMost(Duration.ofSeconds(2)).until(() -> Http.send("GET", url(api, "/rules/" + ids.get(3)), null).status() == 404);
    }

    @Test
    void theRulesTopicIsCompactedWithThreePartitions() throws Exception {
        try (var admin = kafka.admin()) {
            assertEquals(3, admin.describeTopics(List.of("rules")).allTopicNames().get().get("rules").partitions().size());
            ConfigResource resource = new ConfigResource(ConfigResource.Type.TOPIC, "rules");
            Config config = admin.describeConfigs(List.of(resource)).all().get().get(resource);
            assertEquals("compact", config.get("cleanup.policy").value());
        }
        assertEquals(Optional.of("{\"status\":\"ok\",\"rules\":" + api.rules().size() + "}"), Http.get(url(api, "/healthz")));
    }
}
