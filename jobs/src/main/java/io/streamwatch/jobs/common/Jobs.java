package io.streamwatch.jobs.common;

import io.streamwatch.cli.Cli;
import java.util.concurrent.Callable;
import org.apache.spark.sql.SparkSession;
import org.slf4j.LoggerFactory;

/**
 * Runs a Spark job's command line under the {@link Cli} contract (exit 0, 1, 2; one-line errors), with a SIGTERM
 * stopping it gracefully and the SparkSession stopped when {@code main} ends.
 */
public final class Jobs {
    /** The JVM switch the fault-injection flags need: tests set it, a production job never does. */
    public static final String FAULTS_SWITCH = "streamwatch.testing.faults";

    private Jobs() {
    }

    /** For {@code main}: runs (a SIGTERM stops it gracefully, see {@link GracefulStop}), stops Spark, exits with the job's code. */
    public static void main(Callable<Integer> job, String[] args) {
        GracefulStop.install();
        int exitCode = Cli.execute(job, args);
        SparkSession.getDefaultSession().foreach(spark -> {
            spark.stop();
            return null;
        });
        LoggerFactory.getLogger(Jobs.class).info("exiting with {}", exitCode);
        System.exit(exitCode);
    }

    /** Runs in this JVM (tests, the demo) and returns the exit code; the SparkSession stays up. */
    public static int execute(Callable<Integer> job, String... args) {
        return Cli.execute(job, args);
    }
}
