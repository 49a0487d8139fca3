package io.streamwatch.jobs.alarms;

import org.junit.jupiter.api.Disabled;
import org.junit.jupiter.api.Test;

/**
 * Every test of {@link AlarmsTest} again with {@code --engine consumer}: the same alarms, deliveries, quarantine,
 * restarts, checkpoint resets, kills under load and rule changes, read and matched by a consumer on the driver.
 */
class AlarmsConsumerEngineTest extends AlarmsTest {
    @Override
    String engine() {
        return Alarms.CONSUMER;
    }

    @Override
    @Test
    @Disabled("about the micro-batch engine's executors; the consumer engine reads every record on the driver")
    void hugeMalformedRecordsAreQuarantinedWhereTheyAreReadNeverCollectedToTheDriver() {
    }
}
