package io.streamwatch.cli;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import picocli.CommandLine.IDefaultValueProvider;
import picocli.CommandLine.Model.ArgSpec;
import picocli.CommandLine.Model.OptionSpec;

/**
 * A command's option defaults, declared in one place: shared option mixins carry no default of their own, each
 * command says what its checkpoint, trigger or query name defaults to, and which environment variable stands in for
 * a flag that is not given (flag, else environment, else default). Installed as picocli's default-value provider,
 * so {@code ${DEFAULT-VALUE}} in the help shows the command's own default as it is written ("500ms", not "PT0.5S").
 * A value from the environment is shown by the help too, so an option that holds a secret takes no variable here.
 */
public final class OptionDefaults implements IDefaultValueProvider {
    /** A command that declares its option defaults; {@link Cli} installs them. */
    public interface Declared {
        OptionDefaults optionDefaults();
    }

    private final Map<String, String> defaults;
    private final Map<String, String> variables;
    private final Map<String, String> environment;

    private OptionDefaults(Map<String, String> defaults, Map<String, String> variables, Map<String, String> environment) {
        this.defaults = Map.copyOf(defaults);
        this.variables = Map.copyOf(variables);
        this.environment = Map.copyOf(environment);
    }

    /** Defaults as option name and value pairs: {@code of("--checkpoint", "/tmp/x", "--trigger-interval", "10s")}. */
    public static OptionDefaults of(String... optionAndDefault) {
        return new OptionDefaults(pairs(optionAndDefault), Map.of(), Map.of());
    }

    /** These defaults and more: option name and value pairs. */
    public OptionDefaults with(String... optionAndDefault) {
        Map<String, String> merged = new LinkedHashMap<>(defaults);
        merged.putAll(pairs(optionAndDefault));
        return new OptionDefaults(merged, variables, environment);
    }

    /** The same defaults, with environment variables standing in for flags: option name and variable pairs. */
    public OptionDefaults withEnvironment(Map<String, String> environment, String... optionAndVariable) {
        Map<String, String> merged = new LinkedHashMap<>(variables);
        merged.putAll(pairs(optionAndVariable));
        return new OptionDefaults(defaults, merged, environment);
    }

    /** The environment variable that stands in for an option, if any. */
    public Optional<String> variableOf(String option) {
        return Optional.ofNullable(variables.get(option));
    }

    @Override
    public String defaultValue(ArgSpec argument) {
        if (!(argument instanceof OptionSpec option)) {
            return null;
        }
        String variable = variables.get(option.longestName());
        if (variable != null) {
            String value = environment.get(variable);
            if (value != null && !value.isBlank()) {
                return value;
            }
        }
        return defaults.get(option.longestName());
    }

    private static Map<String, String> pairs(String... keysAndValues) {
        if (keysAndValues.length % 2 != 0) {
            throw new IllegalArgumentException("option defaults come in pairs, got " + keysAndValues.length + " strings");
        }
        Map<String, String> pairs = new LinkedHashMap<>();
        for (int i = 0; i < keysAndValues.length; i += 2) {
            if (!keysAndValues[i].startsWith("--")) {
                throw new IllegalArgumentException("not a long option name: " + keysAndValues[i]);
            }
            pairs.put(keysAndValues[i], keysAndValues[i + 1]);
        }
        return pairs;
    }
}
