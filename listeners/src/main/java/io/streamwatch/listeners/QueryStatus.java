package io.streamwatch.listeners;

import java.time.Duration;
import java.util.List;

/**
 * Whether a source of a streaming query keeps up, judged the way Burrow judges a consumer: not by a threshold
 * but by the trend of its backlog over a sliding window of micro-batches. A source is {@link Status#OK} while its
 * backlog reaches zero or shrinks at some point of the window; {@link Status#FALLING_BEHIND} when, over a full window
 * while records were processed, the backlog never shrank and grew in at least half of the steps; {@link Status#STALLED} when nothing was
 * processed over the window while records waited, or no batch ended for longer than the stall bound. One slow batch
 * cannot make it flap: it is one rise, and the backlog it leaves shrinks again within the window.
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
    }

    private QueryStatus() {
    }

    /**
     * @param window the batches of the window, oldest first (those that ended within the window's duration)
     * @param sinceLastBatch how long ago the last batch ended, or the query started when none did yet
     * @param stallAfter how long without a batch ending counts as stalled
     * @param minPoints how many batches a window needs before it can say anything but OK
     */
    public static Evaluation evaluate(List<Point> window, Duration sinceLastBatch, Duration stallAfter, int minPoints) {
        Evaluation rates = rates(window);
        if (sinceLastBatch.compareTo(stallAfter) > 0) {
            return new Evaluation(Status.STALLED, rates.arrivalPerSecond(), rates.processingPerSecond(), rates.catchUpSeconds());
        }
        if (window.size() < Math.max(2, minPoints) || window.stream().anyMatch(point -> point.backlog() == 0)) {
            return rates;
        }
        Point first = window.get(0);
        Point last = window.get(window.size() - 1);
        if (last.processedTotal() == first.processedTotal()) {
            return new Evaluation(Status.STALLED, rates.arrivalPerSecond(), rates.processingPerSecond(), rates.catchUpSeconds());
        }
        int rises = 0;
        for (int i = 1; i < window.size(); i++) {
            if (window.get(i).backlog() < window.get(i - 1).backlog()) {
                return rates;
            }
            rises += window.get(i).backlog() > window.get(i - 1).backlog() ? 1 : 0;
        }
        Status status = 2 * rises >= window.size() - 1 ? Status.FALLING_BEHIND : Status.OK;
        return new Evaluation(status, rates.arrivalPerSecond(), rates.processingPerSecond(), rates.catchUpSeconds());
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
