package io.streamwatch.alerting;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.yaml.snakeyaml.Yaml;

/** The alerting files: rendered from the one place, valid for their own tools, and Grafana's cross-references. */
class AlertingFilesTest {
    static final Path REPO = AlertingConfig.repository();
    static final String DATASOURCE_UID = "streamwatch-prometheus";

    @TempDir
    Path dir;

    @Test
    void theCommittedFilesAreTheRenderingOfTheDefaultProfile() throws IOException {
        AlertingConfig config = AlertingConfig.profile(REPO, "default");
        for (AlertingConfig.Output output : AlertingConfig.OUTPUTS) {
            assertEquals(config.render(output), Files.readString(REPO.resolve(output.target())),
                    output.target() + " differs from its template: run scripts/render-alerting");
        }
    }

    @Test
    void prometheusAcceptsTheConfigAndRulesOfBothProfiles() {
        for (String profile : List.of("default", "fast")) {
            Path root = dir.resolve(profile);
            AlertingConfig.profile(REPO, profile).with(Map.of("rules_dir", root.resolve("docker/prometheus/rules").toString())).renderInto(root);
            Commands.Result config = Commands.run(root, "promtool", "check", "config", "docker/prometheus/prometheus.yml");
            assertEquals(0, config.exitCode(), config.output());
            assertTrue(config.output().contains("SUCCESS: 6 rules found"), "the config loads the rules: " + config.output());
        }
    }

    @Test
    void promtoolRuleTestsPassFiringPendingResolvingAndTheOffByOneTrap() {
        Commands.Result rules = Commands.run(REPO, "promtool", "check", "rules", "docker/prometheus/rules/streamwatch.yml");
        assertEquals(0, rules.exitCode(), rules.output());
        Commands.Result tests = Commands.run(REPO, "promtool", "test", "rules", "docker/prometheus/tests/streamwatch-test.yml");
        assertEquals(0, tests.exitCode(), tests.output());
        assertTrue(tests.output().contains("SUCCESS"), tests.output());
    }

    @Test
    void alertmanagerAcceptsItsConfig() {
        Commands.Result check = Commands.run(REPO, "amtool", "check-config", "docker/alertmanager/alertmanager.yml");
        assertEquals(0, check.exitCode(), check.output());
        assertTrue(check.output().contains("2 receivers"), check.output());
    }

    @Test
    void theComposeFileIsValid() {
        Commands.Result check = Commands.run(REPO, "docker-compose", "-f", "docker/docker-compose.yml", "config", "-q");
        assertEquals(0, check.exitCode(), check.output());
    }

    @Test
    @SuppressWarnings("unchecked")
    void grafanaProvisioningHasTheFieldsAndReferencesGrafanaNeeds() throws IOException {
        Map<String, Object> datasources = yaml("grafana-provisioning/datasources/prometheus.yml");
        assertEquals(1, datasources.get("apiVersion"));
        Map<String, Object> datasource = ((List<Map<String, Object>>) datasources.get("datasources")).get(0);
        assertEquals(DATASOURCE_UID, datasource.get("uid"));
        assertEquals("prometheus", datasource.get("type"));

        Map<String, Object> rules = yaml("grafana-provisioning/alerting/rules.yml");
        assertEquals(1, rules.get("apiVersion"));
        Set<String> uids = new HashSet<>();
        Set<String> titles = new HashSet<>();
        for (Map<String, Object> group : (List<Map<String, Object>>) rules.get("groups")) {
            for (String field : List.of("orgId", "name", "folder", "interval")) {
                assertNotNull(group.get(field), "group field " + field);
            }
            for (Map<String, Object> rule : (List<Map<String, Object>>) group.get("rules")) {
                for (String field : List.of("uid", "title", "condition", "data", "for", "noDataState", "execErrState")) {
                    assertNotNull(rule.get(field), rule.get("uid") + ": " + field);
                }
                assertTrue(uids.add((String) rule.get("uid")), "unique uid " + rule.get("uid"));
                titles.add((String) rule.get("title"));
                List<Map<String, Object>> data = (List<Map<String, Object>>) rule.get("data");
                Set<String> refIds = data.stream().map(d -> (String) d.get("refId")).collect(Collectors.toSet());
                assertTrue(refIds.contains(rule.get("condition")), rule.get("uid") + ": the condition is a query");
                for (Map<String, Object> query : data) {
                    String datasourceUid = (String) query.get("datasourceUid");
                    assertTrue(datasourceUid.equals(DATASOURCE_UID) || datasourceUid.equals("__expr__"), datasourceUid);
                    Map<String, Object> model = (Map<String, Object>) query.get("model");
                    assertEquals(query.get("refId"), model.get("refId"));
                    if (datasourceUid.equals("__expr__")) {
                        assertTrue(refIds.contains(model.get("expression")), rule.get("uid") + ": expression refers to a query");
                    } else {
                        assertFalse(((String) model.get("expr")).isBlank());
                    }
                }
            }
        }
        assertTrue(titles.containsAll(List.of("Visits consumer lag", "SLA miss visits synchronizer")), "the originals' rules: " + titles);
        assertEquals(6, uids.size());

        Map<String, Object> contactPoints = yaml("grafana-provisioning/alerting/contact-points.yml");
        List<Map<String, Object>> points = (List<Map<String, Object>>) contactPoints.get("contactPoints");
        Set<String> contactPointNames = points.stream().map(c -> (String) c.get("name")).collect(Collectors.toSet());
        List<Map<String, Object>> receivers = (List<Map<String, Object>>) points.get(0).get("receivers");
        assertEquals(Set.of("webhook", "discord"), receivers.stream().map(r -> (String) r.get("type")).collect(Collectors.toSet()));
        Map<String, Object> discord = receivers.stream().filter(r -> r.get("type").equals("discord")).findFirst().orElseThrow();
        assertEquals("$DISCORD_WEBHOOK_URL", ((Map<String, Object>) discord.get("settings")).get("url"), "the secret comes from the environment");
        Map<String, Object> policies = yaml("grafana-provisioning/alerting/policies.yml");
        String receiver = (String) ((List<Map<String, Object>>) policies.get("policies")).get(0).get("receiver");
        assertTrue(contactPointNames.contains(receiver), "the policy's receiver is a contact point: " + receiver);

        JsonNode dashboard = new ObjectMapper().readTree(REPO.resolve("grafana-provisioning/dashboards/streamwatch.json").toFile());
        assertEquals(6, dashboard.path("panels").size());
        for (JsonNode panel : dashboard.path("panels")) {
            for (JsonNode target : panel.path("targets")) {
                assertEquals(DATASOURCE_UID, target.path("datasource").path("uid").asText(), panel.path("title").asText());
            }
        }
        assertNotNull(yaml("grafana-provisioning/dashboards/dashboards.yml").get("providers"));
    }

    private static Map<String, Object> yaml(String file) throws IOException {
        return new Yaml().load(Files.readString(REPO.resolve(file)));
    }
}
