package io.streamwatch.alerting;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Runs the stack's own checkers (promtool, amtool, docker-compose) as real processes. */
final class Commands {
    record Result(int exitCode, String output) {
    }

    private Commands() {
    }

    static Result run(Path dir, String... command) {
        return runWith(java.util.Map.of(), dir, command);
    }

    /** {@link #run} with these environment variables added. */
    static Result runWith(java.util.Map<String, String> environment, Path dir, String... command) {
        try {
            ProcessBuilder builder = new ProcessBuilder(List.of(command)).directory(dir.toFile()).redirectErrorStream(true);
            builder.environment().putAll(environment);
            Process process = builder.start();
            String output = new String(process.getInputStream().readAllBytes());
            if (!process.waitFor(60, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                throw new IllegalStateException(String.join(" ", command) + " did not finish");
            }
            return new Result(process.exitValue(), output);
        } catch (IOException e) {
            throw new IllegalStateException("cannot run " + command[0] + "; .ci/run installs it", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
