package io.streamwatch.listeners;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.streamwatch.listeners.QueryStatus.Point;
import io.streamwatch.listeners.QueryStatus.Status;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The evaluator's rules on windows of batches: a trend, not a threshold; one slow batch never flips it. */
class QueryStatusTest {
    static final Duration RECENT = Duration.ofSeconds(1);
    static final Duration STALL = Duration.ofMinutes(5);

    /** A batch every 10 s processing {@code processed} records each, leaving these backlogs. */
    static List<Point> batches(long processed, long... backlogs) {
        List<Point> points = new ArrayList<>();
        for (int i = 0; i < backlogs.length; i++) {
            points.add(new Point(i * 10_000L, backlogs[i], i * processed, 2.0));
        }
        return points;
    }

    static Status status(List<Point> window) {
        return QueryStatus.evaluate(window, RECENT, STALL, 5).status();
    }

    @Test
    void aGrowingBacklogIsFallingBehind_aShrinkingOneIsOk_zeroAnywhereIsOk() {
        assertEquals(Status.FALLING_BEHIND, status(batches(100, 10, 20, 30, 40, 50, 60)));
        assertEquals(Status.OK, status(batches(100, 60, 50, 40, 30, 20, 10)));
        assertEquals(Status.OK, status(batches(100, 10, 20, 0, 40, 50, 60)));
        assertEquals(Status.OK, status(batches(100, 50, 50, 50, 50, 50, 50)), "a steady backlog keeps pace");
    }

    @Test
    void oneSlowBatchDoesNotFlipAHealthyQuery() {
        assertEquals(Status.OK, status(batches(100, 5, 5, 80, 5, 5, 5)));
        assertEquals(Status.OK, status(batches(100, 5, 5, 5, 5, 5, 80)), "a spike at the end is one rise, not a trend");
    }

    @Test
    void tooFewBatchesSayNothingButOk() {
        assertEquals(Status.OK, status(batches(100, 10, 20, 30, 40)));
    }

    @Test
    void nothingProcessedWhileRecordsWaitOrNoBatchForTooLongIsStalled() {
        assertEquals(Status.STALLED, status(batches(0, 10, 10, 10, 10, 10)));
        assertEquals(Status.STALLED, QueryStatus.evaluate(batches(100, 0, 0, 0, 0, 0), Duration.ofMinutes(6), STALL, 5).status());
    }

    @Test
    void theRatesAndTheTimeToCatchUp() {
        // 100 processed per batch of 2 s: 50 records/s of capacity; backlog grows 10 per 10 s: 11 arriving per second.
        QueryStatus.Evaluation falling = QueryStatus.evaluate(batches(100, 10, 20, 30, 40, 50, 60), RECENT, STALL, 5);
        assertEquals(11.0, falling.arrivalPerSecond(), 1e-9);
        assertEquals(50.0, falling.processingPerSecond(), 1e-9);
        assertEquals(60 / (50.0 - 11.0), falling.catchUpSeconds(), 1e-9);
        QueryStatus.Evaluation outpaced = QueryStatus.evaluate(List.of(new Point(0, 10, 0, 10), new Point(10_000, 200, 10, 10)), RECENT, STALL, 5);
        assertTrue(Double.isInfinite(outpaced.catchUpSeconds()), "arrivals above capacity: never caught up");
        assertEquals(0, QueryStatus.evaluate(batches(100, 5, 0), RECENT, STALL, 5).catchUpSeconds());
    }
}
