package io.streamwatch.cli;

/**
 * A flag whose value parses but makes no sense (a negative count, a ratio above 1): reported like a flag that
 * does not parse, one line ending in "see --help", exit code {@link Cli#BAD_FLAGS}.
 */
public final class BadFlagValue extends RuntimeException {
    public BadFlagValue(String message) {
        super(message);
    }

    public static void requirePositive(String flag, long value) {
        if (value <= 0) {
            throw new BadFlagValue(flag + " must be positive, was " + value);
        }
    }

    public static void requireNotNegative(String flag, double value, String shown) {
        if (value < 0) {
            throw new BadFlagValue(flag + " must not be negative, was " + shown);
        }
    }

    public static void requireRatio(String flag, double ratio) {
        if (ratio < 0 || ratio > 1) {
            throw new BadFlagValue(flag + " must be between 0 and 1, was " + ratio);
        }
    }
}
