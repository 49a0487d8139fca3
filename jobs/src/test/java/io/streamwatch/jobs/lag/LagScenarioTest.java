package io.streamwatch.jobs.lag;

import io.streamwatch.jobs.PushgatewayAndSparkTest;

import static io.streamwatch.listeners.ReaderVersionListener.LAG_SECONDS;
import static io.streamwatch.listeners.ReaderVersionListener.LAG_VERSIONS;
import static io.streamwatch.listeners.ReaderVersionListener.READER_VERSION;
import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class LagScenarioTest extends PushgatewayAndSparkTest {

    @Test
    void aCaughtUpConsumerHasNoLag() {
        createTable();
        write(3);
        consume();

        assertEquals(3, writerVersion(), "create is version 0, then 3 commits");
        assertEquals(3, readerValue(READER_VERSION), "the reader has fully processed the writer's version");
        assertEquals(0, readerValue(LAG_VERSIONS));
        assertEquals(0, readerValue(LAG_SECONDS));
        assertEquals(9, spark().read().format("delta").load(tablePath()).count());
    }

    @Test
    void lagIsThreeWhileTheConsumerIsStoppedAndZeroAfterItRan() {
        createTable();
        write(3);
        consume();
        write(3);

        assertEquals(6, writerVersion());
        assertEquals(3, writerVersion() - readerValue(READER_VERSION), "lag before the consumer runs");

        consume();

        assertEquals(6, readerValue(READER_VERSION));
        assertEquals(0, writerVersion() - readerValue(READER_VERSION));
        assertEquals(0, readerValue(LAG_VERSIONS));
        assertEquals(0, readerValue(LAG_SECONDS));
    }
}
