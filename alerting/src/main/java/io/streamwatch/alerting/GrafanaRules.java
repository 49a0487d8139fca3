package io.streamwatch.alerting;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.yaml.snakeyaml.DumperOptions;
import org.yaml.snakeyaml.Yaml;

/**
 * Grafana-managed copies of Prometheus rules, derived from them so that the two cannot drift: one Grafana group per
 * Prometheus group, one rule per alert with A the alert's PromQL (it returns the violating series, as Prometheus
 * evaluates it), B its last value and C "B exists" ({@code gt -1}: the expressions' values are never below 0). The
 * title is the alert's name in words ({@code SlaMissVisitsSynchronizer}: "SLA miss visits synchronizer"), the uid the
 * same in kebab case. No data is OK (nothing violates); an evaluation error is Error, since monitoring is then blind.
 * Annotations take Grafana's Go templates: {@code $value} becomes {@code $values.B}.
 */
public final class GrafanaRules {
    private static final Pattern WORD = Pattern.compile("[A-Z][a-z0-9]*");
    private static final Map<String, String> ACRONYMS = Map.of("Sla", "SLA");

    private GrafanaRules() {
    }

    @SuppressWarnings("unchecked")
    static String of(String prometheusRules, String datasourceUid, String interval, String source) {
        Map<String, Object> file = new Yaml().load(prometheusRules);
        List<Map<String, Object>> groups = new ArrayList<>();
        for (Map<String, Object> group : (List<Map<String, Object>>) file.get("groups")) {
            List<Map<String, Object>> rules = new ArrayList<>();
            for (Map<String, Object> rule : (List<Map<String, Object>>) group.get("rules")) {
                rules.add(rule((String) rule.get("alert"), ((String) rule.get("expr")).replaceAll("\\s+", " ").trim(),
                        String.valueOf(rule.get("for")), (Map<String, Object>) rule.get("labels"),
                        (Map<String, Object>) rule.get("annotations"), datasourceUid));
            }
            Map<String, Object> grafanaGroup = new LinkedHashMap<>();
            grafanaGroup.put("orgId", 1);
            grafanaGroup.put("name", group.get("name"));
            grafanaGroup.put("folder", "streamwatch");
            grafanaGroup.put("interval", interval);
            grafanaGroup.put("rules", rules);
            groups.add(grafanaGroup);
        }
        Map<String, Object> provisioning = new LinkedHashMap<>();
        provisioning.put("apiVersion", 1);
        provisioning.put("groups", groups);
        DumperOptions options = new DumperOptions();
        options.setDefaultFlowStyle(DumperOptions.FlowStyle.BLOCK);
        options.setWidth(Integer.MAX_VALUE);
        options.setIndicatorIndent(2);
        options.setIndentWithIndicator(true);
        return "# Rendered from " + source + " with alerting/*.properties: edit those, then scripts/render-alerting.\n"
                + "# Grafana file provisioning of the same rules (derived by GrafanaRules): A is the rule's PromQL, B its last\n"
                + "# value, C \"B exists\". For a Grafana that notifies instead of Prometheus + Alertmanager: never both, or every\n"
                + "# alert arrives twice. Set grafana_datasource_uid to your Prometheus datasource's uid.\n"
                + new Yaml(options).dump(provisioning);
    }

    private static Map<String, Object> rule(String alert, String expr, String forDuration, Map<String, Object> labels,
                                            Map<String, Object> annotations, String datasourceUid) {
        Map<String, Object> rule = new LinkedHashMap<>();
        rule.put("uid", uid(alert));
        rule.put("title", title(alert));
        rule.put("condition", "C");
        List<Map<String, Object>> data = new ArrayList<>();
        Map<String, Object> query = new LinkedHashMap<>();
        query.put("refId", "A");
        Map<String, Object> range = new LinkedHashMap<>();
        range.put("from", 600);
        range.put("to", 0);
        query.put("relativeTimeRange", range);
        query.put("datasourceUid", datasourceUid);
        Map<String, Object> model = new LinkedHashMap<>();
        model.put("refId", "A");
        model.put("expr", expr);
        model.put("instant", true);
        query.put("model", model);
        data.add(query);
        data.add(expression("B", Map.of("type", "reduce", "expression", "A", "reducer", "last")));
        data.add(expression("C", Map.of("type", "threshold", "expression", "B",
                "conditions", List.of(Map.of("evaluator", new TreeMap<>(Map.of("type", "gt", "params", List.of(-1))))))));
        rule.put("data", data);
        rule.put("noDataState", "OK");
        rule.put("execErrState", "Error");
        rule.put("for", forDuration);
        rule.put("labels", labels);
        Map<String, Object> grafanaAnnotations = new LinkedHashMap<>();
        annotations.forEach((key, text) -> grafanaAnnotations.put(key, String.valueOf(text).replace("$value ", "$values.B ")));
        rule.put("annotations", grafanaAnnotations);
        return rule;
    }

    private static Map<String, Object> expression(String refId, Map<String, Object> body) {
        Map<String, Object> expression = new LinkedHashMap<>();
        expression.put("refId", refId);
        expression.put("datasourceUid", "__expr__");
        Map<String, Object> model = new LinkedHashMap<>();
        model.put("refId", refId);
        model.putAll(new TreeMap<>(body));
        expression.put("model", model);
        return expression;
    }

    /** {@code SlaMissVisitsSynchronizer} -> "SLA miss visits synchronizer". */
    static String title(String alert) {
        List<String> words = new ArrayList<>();
        Matcher matcher = WORD.matcher(alert);
        while (matcher.find()) {
            String word = matcher.group();
            words.add(ACRONYMS.getOrDefault(word, words.isEmpty() ? word : word.toLowerCase(Locale.ROOT)));
        }
        return String.join(" ", words);
    }

    /** {@code SlaMissVisitsSynchronizer} -> "sla-miss-visits-synchronizer". */
    static String uid(String alert) {
        List<String> words = new ArrayList<>();
        Matcher matcher = WORD.matcher(alert);
        while (matcher.find()) {
            words.add(matcher.group().toLowerCase(Locale.ROOT));
        }
        return String.join("-", words);
    }
}
