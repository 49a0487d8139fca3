package io.streamwatch.listeners;

import java.time.Duration;
import java.util.List;

/**
 * Whether a source of a streaming query keeps up, judged as Burrow judges a consumer: not by a threshold but by the
 * trend of its backlog over a sliding window of micro-batches. A source is {@link Status#FALLING_BEHIND} when, over a
 * full window while records were processed, the backlog's least-squares slope is significantly positive and the window
 * ends above where it began; it stays so until the slope is significantly negative (a flat stretch of a slowed writer
 * does not flip it). It is {@link Status#OK} while the backlog reaches zero in the window or, unless it was falling
 * behind, trends flat or down; {@link Status#STALLED} when nothing was processed over the window
 * while records waited, or no batch ended for longer than the stall bound. Neither one slow batch nor one quick one
 * flips it: a single point moves a slope over the whole window little.
 */
public final class QueryStatus {
    /** From best to worst; a query's status is its worst source's, or how it ended. */
    public enum Status { OK, FALLING_BEHIND, STALLED, STOPPED, FAILED }

    /** One micro-batch of a source: when it ended, the backlog after it, the rows processed since the start, its duration. */
    public record Point(long atMillis, long backlog, long processedTotal, double batchSeconds) {
    }

    /**
     * The verdict and the rates behind it: records arriving per second (backlog growth plus what was processed),
     * records processed per second of batch time (the capacity), and the seconds to catch up at those rates
     * ({@code +Inf} when arrivals outpace the capacity, 0 without backlog, NaN before two batches).
     */
    public record Evaluation(Status status, double arrivalPerSecond, double processingPerSecond, double catchUpSeconds) {
        Evaluation with(Status verdict) {
            return new Evaluation(verdict, arrivalPerSecond, processingPerSecond, catchUpSeconds);
        }
    }

    private QueryStatus() {
    }

    /** {@link #evaluate(List, Duration, Duration, int, Status)} of a source with no earlier verdict. */
    public static Evaluation evaluate(List<Point> window, Duration sinceLastBatch, Duration stallAfter, int minPoints) {
        return evaluate(window, sinceLastBatch, stallAfter, minPoints, Status.OK);
    }

    /**
     * Judges the backlog's trend over the window by its least-squares slope against time, so that single dips (a
     * writer's pause, a GC pause, one quick batch) neither flip the verdict nor restart an alert's {@code for}:
     * a source becomes FALLING_BEHIND when the slope is positive beyond {@link #SIGNIFICANCE} standard errors and the
     * window ends above where it began; once FALLING_BEHIND it stays so until the slope is negative beyond as many
     * standard errors, and is OK again when the backlog trends down over the window (within one window of shrinking for
     * good) or reaches zero.
     *
     * @param window the batches of the window, oldest first (those that ended within the window's duration)
     * @param sinceLastBatch how long ago the last batch ended, or the query started when none did yet
     * @param stallAfter how long without a batch ending counts as stalled
     * @param minPoints how many batches a window needs before it can say anything but OK (at least 3)
     * @param previous the source's verdict at the previous evaluation
     */
    public static Evaluation evaluate(List<Point> window, Duration sinceLastBatch, Duration stallAfter, int minPoints, Status previous) {
        Evaluation rates = rates(window);
        if (sinceLastBatch.compareTo(stallAfter) > 0) {
            return rates.with(Status.STALLED);
        }
        if (window.size() < Math.max(3, minPoints)) {
            return rates;
        }
        Point first = window.get(0);
        Point last = window.get(window.size() - 1);
        if (window.stream().anyMatch(point -> point.backlog() == 0)) {
            return rates; // caught up at some point of the window
        }
        if (last.processedTotal() == first.processedTotal()) {
            return rates.with(Status.STALLED);
        }
        Trend trend = trend(window);
        boolean falling = previous == Status.FALLING_BEHIND
                ? trend.slope() > -SIGNIFICANCE * trend.standardError()
                : trend.slope() > SIGNIFICANCE * trend.standardError() && last.backlog() > first.backlog();
        return falling ? rates.with(Status.FALLING_BEHIND) : rates;
    }

    /** How many standard errors above zero the backlog's slope must be to say FALLING_BEHIND (about 95 % one-sided). */
    static final double SIGNIFICANCE = 2.0;

    /** The backlog's least-squares slope (records per second) and its standard error. */
    record Trend(double slope, double standardError) {
    }

    static Trend trend(List<Point> window) {
        int n = window.size();
        double t0 = window.get(0).atMillis();
        double meanX = 0;
        double meanY = 0;
        for (Point point : window) {
            meanX += (point.atMillis() - t0) / 1000.0;
            meanY += point.backlog();
        }
        meanX /= n;
        meanY /= n;
        double sxx = 0;
        double sxy = 0;
        for (Point point : window) {
            double dx = (point.atMillis() - t0) / 1000.0 - meanX;
            sxx += dx * dx;
            sxy += dx * (point.backlog() - meanY);
        }
        if (sxx == 0) {
            return new Trend(0, Double.POSITIVE_INFINITY);
        }
        double slope = sxy / sxx;
        double residuals = 0;
        for (Point point : window) {
            double fitted = meanY + slope * ((point.atMillis() - t0) / 1000.0 - meanX);
            residuals += Math.pow(point.backlog() - fitted, 2);
        }
        return new Trend(slope, Math.sqrt(residuals / (n - 2) / sxx));
    }

    private static Evaluation rates(List<Point> window) {
        if (window.size() < 2) {
            long backlog = window.isEmpty() ? 0 : window.get(0).backlog();
            return new Evaluation(Status.OK, Double.NaN, Double.NaN, backlog == 0 ? 0 : Double.NaN);
        }
        Point first = window.get(0);
        Point last = window.get(window.size() - 1);
        double spanSeconds = Math.max(1, last.atMillis() - first.atMillis()) / 1000.0;
        long processed = last.processedTotal() - first.processedTotal();
        double arrival = Math.max(0, (last.backlog() - first.backlog() + processed) / spanSeconds);
        double busySeconds = window.subList(1, window.size()).stream().mapToDouble(Point::batchSeconds).sum();
        double capacity = busySeconds > 0 ? processed / busySeconds : Double.NaN;
        double catchUp;
        if (last.backlog() == 0) {
            catchUp = 0;
        } else if (Double.isNaN(capacity) || capacity <= arrival) {
            catchUp = Double.POSITIVE_INFINITY;
        } else {
            catchUp = last.backlog() / (capacity - arrival);
        }
        return new Evaluation(Status.OK, arrival, capacity, catchUp);
    }
}
