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
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.yaml.snakeyaml.Yaml;

/** The alerting files: rendered from the one place, valid for their own tools, and Grafana's cross-references. */
class AlertingFilesTest {
    static final Path REPO = AlertingConfig.repository();
    static final String DATASOURCE_UID = "streamwatch-prometheus";
    static final List<String> RULE_FILES = List.of("streamwatch.yml", "visits.yml", "companions.yml");
    static final List<String> GRAFANA_RULE_FILES = List.of("grafana-provisioning/alerting/rules.yml",
            "grafana-provisioning/alerting/rules-visits.yml", "grafana-provisioning/alerting/rules-companions.yml");

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
            for (String rules : List.of("16 rules found", "3 rules found", "8 rules found")) {
                assertTrue(config.output().contains("SUCCESS: " + rules), "the config loads the three rule files: " + config.output());
            }
        }
    }

    @Test
    void promtoolRuleTestsPassFiringPendingResolvingAndTheOffByOneTrap() {
        for (String file : RULE_FILES) {
            Commands.Result rules = Commands.run(REPO, "promtool", "check", "rules", "docker/prometheus/rules/" + file);
            assertEquals(0, rules.exitCode(), rules.output());
            String test = "docker/prometheus/tests/" + file.replace(".yml", "-test.yml");
            Commands.Result tests = Commands.run(REPO, "promtool", "test", "rules", test);
            assertEquals(0, tests.exitCode(), tests.output());
            assertTrue(tests.output().contains("SUCCESS"), tests.output());
        }
    }

    /** Every rule of the generic group has a promtool case, and a runbook entry in docs/runbook.md. */
    @Test
    @SuppressWarnings("unchecked")
    void everyGenericRuleHasAPromtoolCaseAndARunbookEntry() throws IOException {
        String tests = Files.readString(REPO.resolve("docker/prometheus/tests/streamwatch-test.yml"));
        String runbook = Files.readString(REPO.resolve("docs/runbook.md"));
        List<Map<String, Object>> groups = (List<Map<String, Object>>) yaml(AlertingConfig.STREAMWATCH_RULES).get("groups");
        assertEquals(List.of("streamwatch"), groups.stream().map(g -> g.get("name")).toList(), "one group, streamwatch");
        for (Map<String, Object> rule : (List<Map<String, Object>>) groups.get(0).get("rules")) {
            String alert = (String) rule.get("alert");
            assertTrue(alert.startsWith("Streamwatch") || alert.startsWith("Pushgateway"), "a neutral name: " + alert);
            assertTrue(tests.contains("alertname: " + alert + "\n"), alert + " has no promtool case");
            assertTrue(runbook.contains("## " + alert + "\n"), alert + " has no runbook entry");
        }
    }

    /**
     * One catalog of metric names: every name the rules and dashboards use is one the listener library
     * ({@code MetricCatalog}) or the companion jobs ({@code JobMetric}) declare, and every name the jobs declare is in docs/.
     */
    @Test
    void theRulesAndDashboardsUseOnlyCataloguedNamesAndTheDocsNameEveryJobMetric() throws IOException {
        Set<String> catalogued = new java.util.TreeSet<>(io.streamwatch.listeners.MetricCatalog.names());
        for (io.streamwatch.jobs.common.JobMetric metric : io.streamwatch.jobs.common.JobMetric.values()) {
            catalogued.add(metric.metricName());
        }
        Pattern name = Pattern.compile("\\b(?:streamwatch|visits|organization)_[a-z_]+\\b");
        List<String> files = new java.util.ArrayList<>(io.streamwatch.testkit.DashboardPanels.FILES);
        RULE_FILES.forEach(file -> files.add("docker/prometheus/rules/" + file));
        Set<String> unknown = new java.util.TreeSet<>();
        for (String file : files) {
            java.util.regex.Matcher used = name.matcher(Files.readString(REPO.resolve(file)));
            while (used.find()) {
                if (!catalogued.contains(used.group())) {
                    unknown.add(file + ": " + used.group());
                }
            }
        }
        assertEquals(Set.of(), unknown, "names no catalog declares");
        StringBuilder docs = new StringBuilder();
        try (java.util.stream.Stream<Path> pages = Files.list(REPO.resolve("docs"))) {
            for (Path page : pages.filter(f -> f.toString().endsWith(".md")).toList()) {
                docs.append(Files.readString(page));
            }
        }
        for (io.streamwatch.jobs.common.JobMetric metric : io.streamwatch.jobs.common.JobMetric.values()) {
            assertTrue(docs.toString().contains(metric.metricName()), metric.metricName() + " is in no page of docs/");
        }
    }

    /** The PrometheusRule holds exactly the generic group, which promtool accepts once taken out of the resource. */
    @Test
    @SuppressWarnings("unchecked")
    void thePrometheusRuleResourceHoldsTheGenericGroup() throws IOException {
        Map<String, Object> resource = yaml("kubernetes/streamwatch-prometheusrule.yaml");
        assertEquals("monitoring.coreos.com/v1", resource.get("apiVersion"));
        assertEquals("PrometheusRule", resource.get("kind"));
        Map<String, Object> spec = (Map<String, Object>) resource.get("spec");
        assertEquals(yaml(AlertingConfig.STREAMWATCH_RULES).get("groups"), spec.get("groups"));
        Path extracted = dir.resolve("from-prometheusrule.yml");
        Files.writeString(extracted, new Yaml().dump(spec));
        Commands.Result check = Commands.run(REPO, "promtool", "check", "rules", extracted.toString());
        assertEquals(0, check.exitCode(), check.output());
    }

    /** PushgatewayDown watches the scrape job the properties name (a stack whose job is called otherwise). */
    @Test
    void pushgatewayDownWatchesTheScrapeJobThePropertiesName() {
        AlertingConfig config = AlertingConfig.profile(REPO, "default").with(Map.of("pushgateway_scrape_job", "kube-pushgateway"));
        String rules = config.render(AlertingConfig.OUTPUTS.get(1));
        String prometheus = config.render(AlertingConfig.OUTPUTS.get(0));
        assertTrue(rules.contains("up{job=\"kube-pushgateway\"} == 0 or absent(up{job=\"kube-pushgateway\"})"), rules);
        assertTrue(prometheus.contains("job_name: kube-pushgateway"), prometheus);
    }

    @Test
    void alertmanagerAcceptsItsConfig() {
        Commands.Result check = Commands.run(REPO, "amtool", "check-config", "docker/alertmanager/alertmanager.yml");
        assertEquals(0, check.exitCode(), check.output());
        assertTrue(check.output().contains("2 receivers"), check.output());
        Commands.Result webhookOnly = Commands.run(REPO, "amtool", "check-config", "docker/alertmanager/alertmanager-webhook-only.yml");
        assertEquals(0, webhookOnly.exitCode(), webhookOnly.output());
        assertTrue(webhookOnly.output().contains("1 receivers"), webhookOnly.output());
    }

    @Test
    void theStartScriptInsertsTheDiscordUrlVerbatimAndWithoutItUsesTheWebhookOnly() throws IOException {
        String url = "https://discord.com/api/webhooks/123/a&b|c\\d'e";
        Path rendered = dir.resolve("with-discord.yml");
        Commands.Result withUrl = Commands.runWith(Map.of("DISCORD_WEBHOOK_URL", url, "ALERTMANAGER_CONFIG_DIR", REPO.resolve("docker/alertmanager").toString(),
                "ALERTMANAGER_RENDERED", rendered.toString(), "ALERTMANAGER_BIN", "true"), REPO, "sh", "docker/alertmanager/start.sh");
        assertEquals(0, withUrl.exitCode(), withUrl.output());
        Map<String, Object> config = new Yaml().load(Files.readString(rendered));
        assertTrue(config.toString().contains("webhook_url=" + url), "the URL as given: " + config);
        Commands.Result check = Commands.run(REPO, "amtool", "check-config", rendered.toString());
        assertEquals(0, check.exitCode(), check.output());
        assertFalse(withUrl.output().contains("a&b"), "the script prints no secret: " + withUrl.output());

        Path withoutRendered = dir.resolve("without-discord.yml");
        Commands.Result without = Commands.runWith(Map.of("DISCORD_WEBHOOK_URL", "", "ALERTMANAGER_CONFIG_DIR", REPO.resolve("docker/alertmanager").toString(),
                "ALERTMANAGER_RENDERED", withoutRendered.toString(), "ALERTMANAGER_BIN", "true"), REPO, "sh", "docker/alertmanager/start.sh");
        assertEquals(0, without.exitCode(), without.output());
        assertFalse(Files.readString(withoutRendered).contains("discord"), "no receiver with a placeholder");
        assertTrue(without.output().contains("DISCORD_WEBHOOK_URL is not set"), without.output());
    }

    @Test
    @SuppressWarnings("unchecked")
    void everyAnnotationIsATemplateGrafanaAndPrometheusCanRender() throws IOException {
        Pattern action = Pattern.compile("\\{\\{(.*?)}}");
        Pattern allowed = Pattern.compile("\\s*\\$(labels\\.[a-z_]+|values\\.([A-Z])|value)\\s*");
        List<String> files = new java.util.ArrayList<>(GRAFANA_RULE_FILES);
        RULE_FILES.forEach(file -> files.add("docker/prometheus/rules/" + file));
        for (String file : files) {
            for (Map<String, Object> group : (List<Map<String, Object>>) yaml(file).get("groups")) {
                for (Map<String, Object> rule : (List<Map<String, Object>>) group.get("rules")) {
                    Set<String> refIds = rule.containsKey("data") ? ((List<Map<String, Object>>) rule.get("data")).stream()
                            .map(d -> (String) d.get("refId")).collect(Collectors.toSet()) : Set.of();
                    for (Object annotation : ((Map<String, Object>) rule.get("annotations")).values()) {
                        String text = (String) annotation;
                        assertFalse(text.contains("$$"), file + ": Grafana does not interpolate annotations, '$$' breaks them: " + text);
                        java.util.regex.Matcher actions = action.matcher(text);
                        while (actions.find()) {
                            java.util.regex.Matcher variable = allowed.matcher(actions.group(1));
                            assertTrue(variable.matches(), file + ": not a variable the rule has: {{" + actions.group(1) + "}}");
                            if (variable.group(2) != null) {
                                assertTrue(refIds.contains(variable.group(2)), file + ": $values." + variable.group(2) + " is not a query of " + rule.get("uid"));
                            }
                        }
                        assertFalse(action.matcher(text).replaceAll("").contains("{{"), file + ": an unclosed action in " + text);
                    }
                }
            }
        }
    }

    @Test
    @SuppressWarnings("unchecked")
    void theComposeStackNotifiesThroughOneNotifierOnly() throws IOException {
        Map<String, Object> services = (Map<String, Object>) yaml("docker/docker-compose.yml").get("services");
        List<String> grafanaVolumes = (List<String>) ((Map<String, Object>) services.get("grafana")).get("volumes");
        assertTrue(services.containsKey("alertmanager"));
        assertTrue(grafanaVolumes.stream().noneMatch(v -> v.startsWith("../grafana-provisioning:") || v.contains("/alerting")),
                "Grafana's rules are not provisioned beside Alertmanager: " + grafanaVolumes);
        assertTrue(grafanaVolumes.stream().anyMatch(v -> v.contains("grafana-provisioning/plugins")));
        assertTrue(Files.isDirectory(REPO.resolve("grafana-provisioning/plugins")));
        List<String> pushgateway = (List<String>) ((Map<String, Object>) services.get("pushgateway")).get("command");
        assertTrue(pushgateway.contains("--persistence.file=/data/pushgateway.db"), "the Pushgateway keeps its state: " + pushgateway);
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

        Set<String> uids = new HashSet<>();
        Set<String> titles = new HashSet<>();
        Map<String, String> grafanaExprs = new java.util.HashMap<>();
        for (String file : GRAFANA_RULE_FILES) {
          Map<String, Object> rules = yaml(file);
          assertEquals(1, rules.get("apiVersion"));
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
                        grafanaExprs.put((String) rule.get("title"), (String) model.get("expr"));
                    }
                }
            }
          }
        }
        assertTrue(titles.containsAll(List.of("Visits consumer lag", "SLA miss visits synchronizer")), "the originals' rules: " + titles);
        assertEquals(27, uids.size());
        for (String file : RULE_FILES) {
            for (Map<String, Object> group : (List<Map<String, Object>>) yaml("docker/prometheus/rules/" + file).get("groups")) {
                for (Map<String, Object> rule : (List<Map<String, Object>>) group.get("rules")) {
                    String title = GrafanaRules.title((String) rule.get("alert"));
                    assertEquals(((String) rule.get("expr")).replaceAll("\\s+", " ").trim(), grafanaExprs.get(title), "Grafana's " + title);
                }
            }
        }

        Map<String, Object> contactPoints = yaml("grafana-provisioning/alerting/contact-points.yml");
        List<Map<String, Object>> points = (List<Map<String, Object>>) contactPoints.get("contactPoints");
        Set<String> contactPointNames = points.stream().map(c -> (String) c.get("name")).collect(Collectors.toSet());
        List<Map<String, Object>> receivers = (List<Map<String, Object>>) points.get(0).get("receivers");
        assertEquals(Set.of("webhook", "discord"), receivers.stream().map(r -> (String) r.get("type")).collect(Collectors.toSet()));
        Map<String, Object> discord = receivers.stream().filter(r -> r.get("type").equals("discord")).findFirst().orElseThrow();
        assertEquals("$DISCORD_WEBHOOK_URL", ((Map<String, Object>) discord.get("settings")).get("url"), "the secret comes from the environment");
        Map<String, Object> policies = yaml("grafana-provisioning/alerting/policies.yml");
        Map<String, Object> root = ((List<Map<String, Object>>) policies.get("policies")).get(0);
        Map<String, Object> route = ((List<Map<String, Object>>) root.get("routes")).get(0);
        assertTrue(contactPointNames.contains(route.get("receiver")), "the nested route's receiver is a contact point: " + route);
        assertEquals(List.of(List.of("grafana_folder", "=", "streamwatch")), route.get("object_matchers"),
                "the route takes the alerts of the rules' folder");
        for (String file : GRAFANA_RULE_FILES) {
            for (Map<String, Object> group : (List<Map<String, Object>>) yaml(file).get("groups")) {
                assertEquals("streamwatch", group.get("folder"), file);
            }
        }

        int panels = 0;
        for (String file : io.streamwatch.testkit.DashboardPanels.FILES) {
            JsonNode dashboard = new ObjectMapper().readTree(REPO.resolve(file).toFile());
            List<String> variables = new java.util.ArrayList<>();
            dashboard.path("templating").path("list").forEach(variable -> variables.add(variable.path("name").asText()));
            assertTrue(variables.contains("datasource"), file + ": a datasource variable, no pinned uid");
            assertFalse(dashboard.toString().contains(DATASOURCE_UID), file + ": no pinned datasource uid");
            for (JsonNode panel : dashboard.path("panels")) {
                panels++;
                for (JsonNode target : panel.path("targets")) {
                    assertEquals("$datasource", target.path("datasource").path("uid").asText(), panel.path("title").asText());
                    if (file.endsWith("/streamwatch.json")) {
                        String expr = target.path("expr").asText();
                        assertFalse(expr.contains("visits_") || expr.contains("organization_alert"), "neutral names only: " + expr);
                        assertTrue(expr.contains("$job") || expr.contains("ALERTS"), "filtered by the job variable: " + expr);
                    }
                }
            }
            if (file.endsWith("/streamwatch.json")) {
                assertTrue(variables.containsAll(List.of("job", "query")), "job and query variables: " + variables);
            }
        }
        assertEquals(19, panels, "9 for any pipeline, 6 for the visits demo, 4 for the companion systems");
        assertNotNull(yaml("grafana-provisioning/dashboards/dashboards.yml").get("providers"));
    }

    /** Each panel's queries are run on a real Prometheus by the test of the scenario the panel shows (DashboardPanels). */
    @Test
    void everyPanelWithQueriesIsCheckedAgainstARealPrometheusBySomeScenario() throws IOException {
        StringBuilder tests = new StringBuilder();
        try (java.util.stream.Stream<Path> files = Files.walk(REPO)) {
            for (Path file : files.filter(f -> f.toString().endsWith(".java") && f.toString().contains("/src/test/java/")).toList()) {
                String text = Files.readString(file);
                if (text.contains("DashboardPanels.assertHasData")) {
                    tests.append(text);
                }
            }
        }
        List<String> unchecked = io.streamwatch.testkit.DashboardPanels.queries().entrySet().stream()
                .filter(panel -> !panel.getValue().isEmpty() && !tests.toString().contains("\"" + panel.getKey() + "\""))
                .map(Map.Entry::getKey).toList();
        assertEquals(List.of(), unchecked, "panels no scenario test checks");
    }

    private static Map<String, Object> yaml(String file) throws IOException {
        return new Yaml().load(Files.readString(REPO.resolve(file)));
    }
}
