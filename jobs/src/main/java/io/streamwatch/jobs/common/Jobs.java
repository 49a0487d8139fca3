package io.streamwatch.jobs.common;

import java.io.PrintWriter;
import java.util.concurrent.Callable;
import org.apache.spark.sql.SparkSession;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;

/**
 * Runs a job's command line: exit code 0 on success, 1 on a failure, 2 on bad flags; errors as one line
 * on stderr (the cause's message, never a stack trace), and the SparkSession stopped when {@code main} ends.
 */
public final class Jobs {
    public static final int FAILED = 1;
    public static final int BAD_FLAGS = 2;

    private Jobs() {
    }

    /** For {@code main}: runs (a SIGTERM stops it gracefully, see {@link GracefulStop}), stops Spark, exits with the job's code. */
    public static void main(Callable<Integer> job, String[] args) {
        GracefulStop.install();
        int exitCode = execute(job, args);
        SparkSession.getDefaultSession().foreach(spark -> {
            spark.stop();
            return null;
        });
        LoggerFactory.getLogger(Jobs.class).info("exiting with {}", exitCode);
        System.exit(exitCode);
    }

    /** Runs in this JVM (tests, the demo) and returns the exit code; the SparkSession stays up. */
    public static int execute(Callable<Integer> job, String... args) {
        return commandLine(job, new PrintWriter(System.out, true), new PrintWriter(System.err, true)).execute(args);
    }

    public static CommandLine commandLine(Callable<Integer> job, PrintWriter out, PrintWriter err) {
        CommandLine commandLine = new CommandLine(job);
        commandLine.setOut(out);
        commandLine.setErr(err);
        commandLine.setParameterExceptionHandler((e, args) -> {
            CommandLine command = e.getCommandLine();
            command.getErr().println(command.getCommandName() + ": " + e.getMessage() + " (see --help)");
            return BAD_FLAGS;
        });
        commandLine.setExecutionExceptionHandler((e, command, parsed) -> {
            if (e instanceof BadFlagValue) {
                command.getErr().println(command.getCommandName() + ": " + e.getMessage() + " (see --help)");
                return BAD_FLAGS;
            }
            command.getErr().println(command.getCommandName() + ": " + oneLine(e));
            return FAILED;
        });
        return commandLine;
    }

    public static String oneLine(Throwable e) {
        Throwable shown = e;
        while (!(shown instanceof JobFailure) && shown.getCause() != null && shown.getMessage() == null) {
            shown = shown.getCause();
        }
        String message = firstLine(shown.getMessage() == null ? shown.getClass().getSimpleName() : shown.getMessage());
        Throwable root = shown;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        if (root != shown && root.getMessage() != null && !message.contains(firstLine(root.getMessage()))) {
            message += ": " + firstLine(root.getMessage());
        }
        return message;
    }

    private static String firstLine(String text) {
        return text.lines().findFirst().orElse(text).trim();
    }
}
