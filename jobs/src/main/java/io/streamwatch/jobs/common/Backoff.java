package io.streamwatch.jobs.common;

import java.time.Duration;
import java.util.Optional;
import java.util.function.BooleanSupplier;

/**
 * The waiting of an HTTP delivery that retries: a backoff doubling from {@link #FIRST} to {@link #MAX}, waits
 * until a deadline (a rate limit's reset), and the caller's stop checked every 100 ms while waiting, so a stop is
 * never held up by a long {@code Retry-After}.
 */
public final class Backoff {
    public static final Duration FIRST = Duration.ofMillis(250);
    public static final Duration MAX = Duration.ofSeconds(30);

    private final BooleanSupplier stopping;
    private Duration next = FIRST;

    public Backoff(BooleanSupplier stopping) {
        this.stopping = stopping;
    }

    /** Waits the current backoff, then doubles it (up to {@link #MAX}). */
    public void pause() throws InterruptedException, DeliveryStopped {
        waitFor(grow());
    }

    /** The wait {@link #pause()} would take now. */
    public Duration current() {
        return next;
    }

    /** The current backoff, doubling it for the next time: for a 429 that says nothing of how long to wait. */
    public Duration grow() {
        Duration now = next;
        Duration doubled = next.multipliedBy(2);
        next = doubled.compareTo(MAX) > 0 ? MAX : doubled;
        return now;
    }

    public void waitFor(Duration duration) throws InterruptedException, DeliveryStopped {
        waitUntil(System.nanoTime() + duration.toNanos());
    }

    /** Waits until {@link System#nanoTime()} reaches the deadline; throws {@link DeliveryStopped} once the caller stops. */
    public void waitUntil(long deadlineNanos) throws InterruptedException, DeliveryStopped {
        long left;
        while ((left = deadlineNanos - System.nanoTime()) > 0) {
            checkStop();
            Thread.sleep(Math.min(Math.max(1, left / 1_000_000), 100));
        }
        checkStop();
    }

    public void checkStop() throws DeliveryStopped {
        if (stopping.getAsBoolean()) {
            throw new DeliveryStopped();
        }
    }

    /**
     * A header's (or body's) seconds, fractional allowed, however long (a day at most: what a service asks beyond is
     * taken as a day); empty when absent, negative or not a number.
     */
    public static Optional<Duration> seconds(String text) {
        try {
            double seconds = Math.min(Double.parseDouble(text.trim()), 86_400);
            return seconds >= 0 ? Optional.of(Duration.ofMillis((long) Math.ceil(seconds * 1000))) : Optional.empty();
        } catch (NumberFormatException | NullPointerException e) {
            return Optional.empty();
        }
    }
}
