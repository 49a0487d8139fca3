package io.streamwatch.listeners;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

/** End offsets as Delta 3.3 writes them (copied from a real run's progress events). */
class DeltaSourceProgressTest {
    private static String offset(long reservoirVersion, long index, boolean startingVersion) {
        return "{\"sourceVersion\":1,\"reservoirId\":\"a61c876d-4bdc-4124-b9b7-e16828292e11\",\"reservoirVersion\":"
                + reservoirVersion + ",\"index\":" + index + ",\"isStartingVersion\":" + startingVersion + "}";
    }

    @Test
    void aFullyReadVersionIsTheOneBeforeTheOffset() {
        assertEquals(3, DeltaSourceProgress.processedVersion(offset(4, -1, false)));
    }

    @Test
    void aVersionReadPartlyIsNotProcessedButTheOneBeforeIs() {
        assertEquals(5, DeltaSourceProgress.processedVersion(offset(6, 2, false)));
    }

    @Test
    void theEndOfVersionIndexMeansThatVersionIsDone() {
        assertEquals(6, DeltaSourceProgress.processedVersion(offset(6, DeltaSourceProgress.END_INDEX, false)));
    }

    @Test
    void whileTheInitialSnapshotIsReadNoVersionIsProcessed() {
        assertEquals(DeltaSourceProgress.NOTHING_PROCESSED, DeltaSourceProgress.processedVersion(offset(3, 0, true)));
        assertEquals(DeltaSourceProgress.NOTHING_PROCESSED, DeltaSourceProgress.processedVersion(offset(3, 7, true)));
    }

    @Test
    void somethingElseIsRefusedWithTheOffsetInTheMessage() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> DeltaSourceProgress.processedVersion("{\"logOffset\":3}"));
        assertEquals("not a Delta source offset: {\"logOffset\":3}", e.getMessage());
    }
}
