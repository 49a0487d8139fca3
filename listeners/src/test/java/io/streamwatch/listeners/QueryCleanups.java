package io.streamwatch.listeners;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.streaming.StreamingQuery;
import org.apache.spark.sql.streaming.StreamingQueryListener;

/** What a test set up on a Spark session, undone after it in reverse order: queries stopped, listeners detached. */
final class QueryCleanups {
    private final List<Runnable> undo = new ArrayList<>();

    <T extends StreamingQueryListener> T attach(SparkSession session, T listener) {
        session.streams().addListener(listener);
        undo.add(() -> session.streams().removeListener(listener));
        return listener;
    }

    /** The query, stopped after the test. */
    StreamingQuery stopAfter(StreamingQuery query) {
        undo.add(() -> {
            try {
                query.stop();
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        return query;
    }

    void add(Runnable action) {
        undo.add(action);
    }

    void run() {
        Collections.reverse(undo);
        undo.forEach(Runnable::run);
        undo.clear();
    }
}
