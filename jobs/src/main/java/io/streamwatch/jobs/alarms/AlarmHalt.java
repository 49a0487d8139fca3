package io.streamwatch.jobs.alarms;

import java.util.Locale;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A test aid ({@code --halt-at}, behind the faults switch): the thread that reaches the named moment says so in the
 * log and stops there for good, so a test can SIGKILL the job at exactly that moment rather than at a random one.
 */
enum AlarmHalt {
    /** A batch's alarms are in the outbox; nothing of it is delivered, recorded, or passed by the saved offsets. */
    OUTBOX_WRITTEN,
    /** A commit of the alarms table holds the batches; the outbox does not know yet, and still holds them. */
    TABLE_COMMITTED;

    private static final Logger LOG = LoggerFactory.getLogger(AlarmHalt.class);
    private static volatile AlarmHalt chosen;

    static void choose(AlarmHalt halt) {
        chosen = halt;
    }

    /** The flag's value of this moment: {@code outbox-written}, {@code table-committed}. */
    String flagValue() {
        return name().toLowerCase(Locale.ROOT).replace('_', '-');
    }

    /** Stops the calling thread for good when this is the chosen moment. */
    void reached() {
        if (chosen != this) {
            return;
        }
        LOG.warn("halted at {} (--halt-at, a test aid)", flagValue());
        while (true) {
            try {
                Thread.sleep(60_000);
            } catch (InterruptedException e) {
                // halted means halted: only a kill ends this thread
            }
        }
    }
}
