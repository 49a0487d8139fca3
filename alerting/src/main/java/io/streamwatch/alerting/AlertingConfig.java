package io.streamwatch.alerting;

import io.streamwatch.cli.Cli;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Alerting as code from one place: {@code alerting/default.properties} (the originals' thresholds, {@code for}
 * durations and intervals), optionally overlaid by a profile ({@code alerting/fast.properties}) and by
 * addresses, rendered into the Prometheus config and rules, the Alertmanager config and Grafana's alert rules.
 * {@code scripts/render-alerting} writes the default rendering into the repository; tests render the fast
 * profile into a temp folder for real Prometheus and Alertmanager processes.
 */
public final class AlertingConfig {
    /** How an output is made from its template's rendering. */
    public enum Form {
        /** The rendering as it is. */
        AS_RENDERED,
        /** Grafana-managed copies of the Prometheus rules the template renders ({@link GrafanaRules}). */
        GRAFANA_RULES,
        /** The Prometheus rules as a Kubernetes {@code PrometheusRule} (kube-prometheus-stack, the Prometheus Operator). */
        PROMETHEUS_RULE
    }

    /** A template under alerting/templates, where its rendering goes (relative to the repository), and in which form. */
    public record Output(String template, String target, Form form) {
        Output(String template, String target) {
            this(template, target, Form.AS_RENDERED);
        }
    }

    /** The rules for any pipeline: the file a user loads. */
    public static final String STREAMWATCH_RULES = "docker/prometheus/rules/streamwatch.yml";

    public static final List<Output> OUTPUTS = List.of(
            new Output("prometheus.yml", "docker/prometheus/prometheus.yml"),
            new Output("rules-streamwatch.yml", STREAMWATCH_RULES),
            new Output("rules-visits.yml", "docker/prometheus/rules/visits.yml"),
            new Output("rules-companions.yml", "docker/prometheus/rules/companions.yml"),
            new Output("rules-streamwatch.yml", "kubernetes/streamwatch-prometheusrule.yaml", Form.PROMETHEUS_RULE),
            new Output("alertmanager.yml", "docker/alertmanager/alertmanager.yml"),
            new Output("alertmanager-webhook-only.yml", "docker/alertmanager/alertmanager-webhook-only.yml"),
            new Output("rules-streamwatch.yml", "grafana-provisioning/alerting/rules.yml", Form.GRAFANA_RULES),
            new Output("rules-visits.yml", "grafana-provisioning/alerting/rules-visits.yml", Form.GRAFANA_RULES),
            new Output("rules-companions.yml", "grafana-provisioning/alerting/rules-companions.yml", Form.GRAFANA_RULES),
            new Output("grafana-dashboard.json", "grafana-provisioning/dashboards/streamwatch.json"),
            new Output("grafana-dashboard-visits.json", "grafana-provisioning/dashboards/visits.json"),
            new Output("grafana-dashboard-companions.json", "grafana-provisioning/dashboards/companions.json"));
    private static final Pattern PLACEHOLDER = Pattern.compile("\\$\\{([a-z_]+)}");

    private final Path repository;
    private final Map<String, String> values;

    private AlertingConfig(Path repository, Map<String, String> values) {
        this.repository = repository;
        this.values = values;
    }

    /** The default values, overlaid by {@code alerting/<profile>.properties} unless the profile is "default". */
    public static AlertingConfig profile(Path repository, String profile) {
        Map<String, String> values = load(repository.resolve("alerting/default.properties"));
        if (!profile.equals("default")) {
            values.putAll(load(repository.resolve("alerting/" + profile + ".properties")));
        }
        return new AlertingConfig(repository, values);
    }

    public AlertingConfig with(Map<String, String> overrides) {
        Map<String, String> next = new LinkedHashMap<>(values);
        next.putAll(overrides);
        return new AlertingConfig(repository, next);
    }

    public String value(String key) {
        String value = values.get(key);
        if (value == null) {
            throw new IllegalArgumentException("no alerting value " + key);
        }
        return value;
    }

    /** Renders every output under {@code root} (the repository itself for the committed files). */
    public void renderInto(Path root) {
        for (Output output : OUTPUTS) {
            try {
                Path target = root.resolve(output.target());
                Files.createDirectories(target.getParent());
                Files.writeString(target, render(output));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }

    public String render(Output output) {
        String rendered;
        try {
            rendered = render(Files.readString(repository.resolve("alerting/templates").resolve(output.template())));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return switch (output.form()) {
            case AS_RENDERED -> rendered;
            case GRAFANA_RULES -> GrafanaRules.of(rendered, value("grafana_datasource_uid"), value("grafana_evaluation_interval"),
                    "alerting/templates/" + output.template());
            case PROMETHEUS_RULE -> prometheusRule(rendered, output.template());
        };
    }

    /** The rules file under a PrometheusRule's spec (its comments kept), labelled for kube-prometheus-stack's rule selector. */
    private String prometheusRule(String rules, String template) {
        StringBuilder resource = new StringBuilder("# Rendered from alerting/templates/" + template
                + " with alerting/*.properties: edit those, then scripts/render-alerting.\n"
                + "# The rules for any pipeline as a Prometheus Operator resource: kubectl apply -f this file (set the release label\n"
                + "# to what your Prometheus' ruleSelector matches; kube-prometheus-stack's default is its release name).\n"
                + "apiVersion: monitoring.coreos.com/v1\nkind: PrometheusRule\nmetadata:\n  name: streamwatch\n  labels:\n"
                + "    release: " + value("prometheus_rule_release") + "\nspec:\n");
        rules.lines().filter(line -> !line.startsWith("#")).forEach(line -> resource.append(line.isEmpty() ? "" : "  " + line).append('\n'));
        return resource.toString();
    }

    String render(String template) {
        Matcher matcher = PLACEHOLDER.matcher(template);
        StringBuilder rendered = new StringBuilder();
        while (matcher.find()) {
            matcher.appendReplacement(rendered, Matcher.quoteReplacement(value(matcher.group(1))));
        }
        matcher.appendTail(rendered);
        return rendered.toString();
    }

    /** The repository: the nearest folder up from the working directory that holds alerting/default.properties. */
    public static Path repository() {
        for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
            if (Files.exists(dir.resolve("alerting/default.properties"))) {
                return dir;
            }
        }
        throw new IllegalStateException("not inside the streamwatch repository (no alerting/default.properties above "
                + Path.of("").toAbsolutePath() + ")");
    }

    private static Map<String, String> load(Path file) {
        Properties properties = new Properties();
        try (InputStream in = Files.newInputStream(file)) {
            properties.load(in);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        }
        Map<String, String> values = new LinkedHashMap<>();
        properties.stringPropertyNames().forEach(key -> values.put(key, properties.getProperty(key).trim()));
        return values;
    }

    /** scripts/render-alerting: writes a profile's rendering into the repository. */
    public static void main(String[] args) {
        Cli.main(new Render(), args);
    }

    /** The command of scripts/render-alerting. */
    @Command(name = "render-alerting", mixinStandardHelpOptions = true,
            description = "Renders the alerting templates with a profile's properties into the repository.")
    static final class Render implements Callable<Integer> {
        @Parameters(index = "0", defaultValue = "default", paramLabel = "PROFILE",
                description = "The properties file under alerting/, without .properties (default: ${DEFAULT-VALUE}).")
        String profile;

        @Override
        public Integer call() {
            Path repository = repository();
            profile(repository, profile).renderInto(repository);
            OUTPUTS.forEach(output -> System.out.println("rendered " + output.target()));
            return 0;
        }
    }
}
