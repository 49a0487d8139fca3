package io.streamwatch.rules;

import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.CommandLine;

/**
 * Runs a command line of this module: exit 0 on success, 1 on a failure, 2 on bad flags; errors as one line on
 * stderr, never a stack trace (the same contract as the Spark jobs).
 */
public final class Cli {
    public static final int FAILED = 1;
    public static final int BAD_FLAGS = 2;

    /** A flag that parses but cannot be used: reported like one that does not parse. */
    public static final class BadFlag extends RuntimeException {
        public BadFlag(String message) {
            super(message);
        }
    }

    private Cli() {
    }

    public static void main(Callable<Integer> command, String[] args) {
        System.exit(execute(command, args));
    }

    public static int execute(Callable<Integer> command, String... args) {
        CommandLine commandLine = new CommandLine(command);
        commandLine.setOut(new PrintWriter(System.out, true));
        commandLine.setErr(new PrintWriter(System.err, true));
        commandLine.setParameterExceptionHandler((e, given) -> {
            e.getCommandLine().getErr().println(e.getCommandLine().getCommandName() + ": " + e.getMessage() + " (see --help)");
            return BAD_FLAGS;
        });
        commandLine.setExecutionExceptionHandler((e, failed, parsed) -> {
            boolean badFlag = e instanceof BadFlag;
            failed.getErr().println(failed.getCommandName() + ": " + firstLine(e) + (badFlag ? " (see --help)" : ""));
            return badFlag ? BAD_FLAGS : FAILED;
        });
        return commandLine.execute(args);
    }

    private static String firstLine(Throwable e) {
        String message = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        return message.lines().findFirst().orElse(message).trim();
    }
}
