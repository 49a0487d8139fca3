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

    /** One dip at the end of a growing window: the verdict holds (the slope over the window is still up). */
    @Test
    void oneDipNeitherFlipsNorRestartsAFallingBehindVerdict() {
        List<Point> dipAtTheEnd = batches(100, 10, 20, 30, 40, 50, 60, 45);
        assertEquals(Status.FALLING_BEHIND, QueryStatus.evaluate(dipAtTheEnd, RECENT, STALL, 5, Status.FALLING_BEHIND).status());
        assertEquals(Status.FALLING_BEHIND, status(dipAtTheEnd), "a significant upward slope, ending above the start");
        assertEquals(Status.OK, QueryStatus.evaluate(batches(100, 60, 50, 40, 30, 35, 20), RECENT, STALL, 5, Status.FALLING_BEHIND).status(),
                "trending down over the window: OK again");
    }

    /**
     * A recorded series of each shape: a writer with pauses and bursts outpacing the query (a 2 s batch takes 100
     * records; 165 arrive on average: none in 30 % of batches, 3x in 20 %), then the writer slowing for good (55 on
     * average). Over 20 seeds: once FALLING_BEHIND it is held in every sample while the backlog grows, and OK within one
     * window after it shrinks; Burrow's step rule ("never shrank") would have flipped to OK on the same series.
     */
    @Test
    void aJitteryWriterOutpacingTheQueryIsFallingBehindInEverySampleUntilItShrinksForGood() {
        int windowBatches = 60;
        int stepRuleFlips = 0;
        for (long seed = 1; seed <= 20; seed++) {
            int growing = 400;
            List<Point> series = jitteryBacklog(seed, 500, growing + 300, batch -> batch < growing ? 150 : 50, 100);
            Status verdict = Status.OK;
            int firstFalling = -1;
            int okAgain = -1;
            for (int end = windowBatches; end <= series.size(); end++) {
                List<Point> window = series.subList(end - windowBatches, end);
                verdict = QueryStatus.evaluate(window, RECENT, STALL, 5, verdict).status();
                int at = end - 1;
                if (verdict == Status.FALLING_BEHIND && firstFalling < 0) {
                    firstFalling = at;
                }
                if (at < growing && firstFalling >= 0) {
                    assertEquals(Status.FALLING_BEHIND, verdict, "seed " + seed + ": held at batch " + at + " while the backlog grows");
                    stepRuleFlips += stepRule(window) == Status.OK ? 1 : 0;
                }
                if (at >= growing && verdict == Status.OK && okAgain < 0) {
                    okAgain = at;
                }
                if (okAgain >= 0) {
                    assertEquals(Status.OK, verdict, "seed " + seed + ": stays OK once the backlog shrinks for good, batch " + at);
                }
            }
            assertTrue(firstFalling >= 0 && firstFalling < growing / 2, "seed " + seed + ": falling behind noticed at " + firstFalling);
            assertTrue(okAgain >= growing && okAgain <= growing + windowBatches, "seed " + seed + ": OK within one window, at " + okAgain);
        }
        assertTrue(stepRuleFlips > 100, "the step rule would have flipped on these series: " + stepRuleFlips);
    }

    /** A query with room to spare (200 a batch for 110 arriving, with the same jitter) never reads FALLING_BEHIND. */
    @Test
    void aJitteryWriterThatKeepsPaceIsNeverFallingBehind() {
        List<Point> series = jitteryBacklog(7, 0, 600, batch -> 100, 200);
        Status verdict = Status.OK;
        int falling = 0;
        for (int end = 60; end <= series.size(); end++) {
            verdict = QueryStatus.evaluate(series.subList(end - 60, end), RECENT, STALL, 5, verdict).status();
            falling += verdict == Status.FALLING_BEHIND ? 1 : 0;
        }
        assertEquals(0, falling, "a query that keeps pace is never FALLING_BEHIND");
    }

    /**
     * A recorded series of 2 s batches that each process up to {@code perBatch} records, from a writer with pauses and
     * bursts: in each batch nothing arrives (30 %), three times the batch's mean (20 %) or the mean (50 %).
     */
    private static List<Point> jitteryBacklog(long seed, long backlog, int batches, java.util.function.IntToLongFunction meanArrival,
                                              long perBatch) {
        java.util.Random random = new java.util.Random(seed);
        List<Point> series = new ArrayList<>();
        long processed = 0;
        for (int i = 0; i < batches; i++) {
            double draw = random.nextDouble();
            long mean = meanArrival.applyAsLong(i);
            backlog += draw < 0.3 ? 0 : draw < 0.5 ? 3 * mean : mean;
            long done = Math.min(backlog, perBatch);
            backlog -= done;
            processed += done;
            series.add(new Point(i * 2_000L, backlog, processed, 2.0));
        }
        return series;
    }

    /** Burrow's step rule as the evaluator applied it before: any shrinking step in the window says OK. */
    private static Status stepRule(List<Point> window) {
        for (int i = 1; i < window.size(); i++) {
            if (window.get(i).backlog() < window.get(i - 1).backlog()) {
                return Status.OK;
            }
        }
        return Status.FALLING_BEHIND;
    }
}
