package io.streamwatch.cli;

import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.CommandLine;

/**
 * The command-line contract of every streamwatch entry point: exit 0 on success, {@value #FAILED} on a failure,
 * {@value #BAD_FLAGS} on bad flags (ones that do not parse, and {@link BadFlagValue}s); an error is one line on
 * stderr naming the command (the cause's message, never a stack trace), a bad flag's line ends in "(see --help)".
 * A command that implements {@link OptionDefaults.Declared} gets its option defaults, and their environment
 * fallbacks, through picocli's default-value provider.
 */
public final class Cli {
    public static final int FAILED = 1;
    public static final int BAD_FLAGS = 2;

    private Cli() {
    }

    /** For a {@code main} that needs nothing stopped: runs the command and exits with its code. */
    public static void main(Callable<Integer> command, String[] args) {
        System.exit(execute(command, args));
    }

    /** Runs in this JVM and returns the exit code. */
    public static int execute(Callable<Integer> command, String... args) {
        return commandLine(command, new PrintWriter(System.out, true), new PrintWriter(System.err, true)).execute(args);
    }

    public static CommandLine commandLine(Callable<Integer> command, PrintWriter out, PrintWriter err) {
        CommandLine commandLine = new CommandLine(command);
        if (command instanceof OptionDefaults.Declared declared) {
            commandLine.setDefaultValueProvider(declared.optionDefaults());
        }
        commandLine.setCaseInsensitiveEnumValuesAllowed(true);
        commandLine.setOut(out);
        commandLine.setErr(err);
        commandLine.setParameterExceptionHandler((e, args) -> {
            CommandLine failed = e.getCommandLine();
            failed.getErr().println(failed.getCommandName() + ": " + firstLine(e.getMessage()) + " (see --help)");
            return BAD_FLAGS;
        });
        commandLine.setExecutionExceptionHandler((e, failed, parsed) -> {
            if (e instanceof BadFlagValue) {
                failed.getErr().println(failed.getCommandName() + ": " + firstLine(e.getMessage()) + " (see --help)");
                return BAD_FLAGS;
            }
            failed.getErr().println(failed.getCommandName() + ": " + oneLine(e));
            return FAILED;
        });
        return commandLine;
    }

    /**
     * A failure as one line: a {@link CommandFailure}'s message as it is, else the first message found down the
     * causes, followed by the root cause's first line when it adds something.
     */
    public static String oneLine(Throwable e) {
        Throwable shown = e;
        while (!(shown instanceof CommandFailure) && shown.getCause() != null && shown.getMessage() == null) {
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
        return text == null ? "" : text.lines().findFirst().orElse(text).trim();
    }
}
