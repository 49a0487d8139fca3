package io.streamwatch.jobs.common;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import sun.misc.Signal;
import sun.misc.SignalHandler;

/**
 * A redeploy is not a crash: YARN, Kubernetes and a standalone Worker stop a driver with SIGTERM. Left to the
 * JVM, that runs the shutdown hooks while the queries are still running, exits 143, and leaves
 * {@code streamwatch_query_up 1} behind. Here the first SIGTERM (or SIGINT) runs the actions the job registered,
 * stopping its queries as {@code query.stop()} would, so the job ends its {@code call} normally and exits 0, the
 * listeners remove the series of a query stopped on purpose, and the checkpoint stays consistent.
 *
 * <p>A job with nothing registered (a batch job) gets the JVM's default at once; a second signal, or a stop
 * that takes longer than {@link #GRACE}, too (shutdown hooks, exit 128 + signal).
 */
public final class GracefulStop {
    /** Below Kubernetes' default termination grace period (30 s), after which it sends SIGKILL. */
    static final Duration GRACE = Duration.ofSeconds(25);
    private static final Logger LOG = LoggerFactory.getLogger(GracefulStop.class);
    private static final List<Runnable> ACTIONS = new CopyOnWriteArrayList<>();
    private static final AtomicBoolean REQUESTED = new AtomicBoolean();
    private static volatile Duration deadline = GRACE;

    private GracefulStop() {
    }

    /** Handles SIGTERM and SIGINT in this JVM (from {@code main} only; tests run jobs without it). */
    static void install() {
        for (String name : new String[] {"TERM", "INT"}) {
            Signal signal = new Signal(name);
            SignalHandler[] previous = new SignalHandler[1];
            previous[0] = Signal.handle(signal, received -> onSignal(received, previous[0]));
        }
    }

    /**
     * Runs {@code stop} when a stop is requested (at once if it already was); the returned handle forgets it.
     */
    public static AutoCloseable whenRequested(Runnable stop) {
        ACTIONS.add(stop);
        if (REQUESTED.get()) {
            stop.run();
        }
        return () -> ACTIONS.remove(stop);
    }

    /**
     * For a job whose own stop can take longer than {@link #GRACE} (the alarms job delivers for its grace first): the
     * deadline after a SIGTERM becomes the longer of the two, so the job's stop and the deadline agree.
     */
    public static void allowAtLeast(Duration stop) {
        if (stop.compareTo(deadline) > 0) {
            deadline = stop;
        }
    }

    /** Whether a stop was requested, for loops that check it between steps. */
    public static boolean requested() {
        return REQUESTED.get();
    }

    private static void onSignal(Signal signal, SignalHandler previous) {
        if (!REQUESTED.compareAndSet(false, true) || ACTIONS.isEmpty()) {
            exitAsDefault(signal, previous);
            return;
        }
        Duration grace = deadline;
        LOG.info("SIG{} received: stopping gracefully (again, or {} s, to stop at once)", signal.getName(), grace.toSeconds());
        Thread deadlineThread = new Thread(() -> {
            try {
                Thread.sleep(grace.toMillis());
                LOG.warn("not stopped within {} s; exiting now", grace.toSeconds());
                exitAsDefault(signal, previous);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "streamwatch-stop-deadline");
        deadlineThread.setDaemon(true);
        deadlineThread.start();
        for (Runnable action : ACTIONS) {
            try {
                action.run();
            } catch (RuntimeException e) {
                LOG.warn("stopping: {}", e.toString());
            }
        }
    }

    /** What the JVM would have done: its own handler (shutdown hooks, exit 128 + signal), else that exit. */
    private static void exitAsDefault(Signal signal, SignalHandler previous) {
        if (previous != SignalHandler.SIG_DFL && previous != SignalHandler.SIG_IGN && previous != null) {
            previous.handle(signal);
        } else {
            System.exit(128 + signal.getNumber());
        }
    }
}
