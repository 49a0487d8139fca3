package io.streamwatch.jobs.common;

/** A failure a job reports as its one-line error (bad input, missing table), without a stack trace. */
public final class JobFailure extends RuntimeException {
    public JobFailure(String message) {
        super(message);
    }

    public JobFailure(String message, Throwable cause) {
        super(message, cause);
    }
}
