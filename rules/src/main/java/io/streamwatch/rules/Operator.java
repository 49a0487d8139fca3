package io.streamwatch.rules;

import java.util.Arrays;
import java.util.Optional;

/** How a rule compares a metric's value with its threshold; {@code >} is the default. */
public enum Operator {
    GREATER(">", "exceeds"),
    GREATER_OR_EQUAL(">=", "reaches"),
    LESS("<", "is below"),
    LESS_OR_EQUAL("<=", "is at or below");

    private final String symbol;
    private final String verb;

    Operator(String symbol, String verb) {
        this.symbol = symbol;
        this.verb = verb;
    }

    public String symbol() {
        return symbol;
    }

    /** The verb of the alarm's sentence: "cpu is 95 which exceeds the rule threshold (90)". */
    public String verb() {
        return verb;
    }

    public boolean matches(double value, double threshold) {
        return switch (this) {
            case GREATER -> value > threshold;
            case GREATER_OR_EQUAL -> value >= threshold;
            case LESS -> value < threshold;
            case LESS_OR_EQUAL -> value <= threshold;
        };
    }

    public static Optional<Operator> of(String symbol) {
        return Arrays.stream(values()).filter(operator -> operator.symbol.equals(symbol)).findFirst();
    }

    public static String symbols() {
        return String.join(", ", Arrays.stream(values()).map(Operator::symbol).toList());
    }
}
