package io.streamwatch.cli;

/** A failure a command reports as its one-line error (bad input, missing table), without a stack trace. */
public final class CommandFailure extends RuntimeException {
    public CommandFailure(String message) {
        super(message);
    }

    public CommandFailure(String message, Throwable cause) {
        super(message, cause);
    }
}
