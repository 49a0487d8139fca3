package io.streamwatch.jobs.common;

/** A delivery was given up because its caller is stopping; what it carried was not delivered and goes after a restart. */
public final class DeliveryStopped extends Exception {
    public DeliveryStopped() {
        super("stopping");
    }
}
