package io.streamwatch.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A Java main class run in a JVM of its own with the test's class path, as spark-submit would start a driver:
 * Spark settings as {@code -Dspark.*} system properties, output in a log file, and real signals to stop it
 * ({@link #terminate()} sends SIGTERM, {@link #kill()} SIGKILL).
 */
public final class ChildJvm implements AutoCloseable {
    private final Process process;
    private final Path log;

    private ChildJvm(Process process, Path log) {
        this.process = process;
        this.log = log;
    }

    /**
     * @param systemProperties {@code -D} settings, e.g. {@code spark.master}
     */
    public static ChildJvm start(Class<?> mainClass, Map<String, String> systemProperties, Path log, String... args) {
        return start(mainClass, systemProperties, Map.of(), log, args);
    }

    /** As {@link #start(Class, Map, Path, String...)}, with environment variables added. */
    public static ChildJvm start(Class<?> mainClass, Map<String, String> systemProperties, Map<String, String> environment, Path log,
            String... args) {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        Arrays.stream(System.getProperty("streamwatch.java.opens", "").split(" ")).filter(s -> !s.isBlank()).forEach(command::add);
        command.addAll(List.of("-Xmx1g", "-cp", System.getProperty("java.class.path"),
                "-Dspark.ui.enabled=false", "-Dspark.sql.shuffle.partitions=2"));
        systemProperties.forEach((key, value) -> command.add("-D" + key + "=" + value));
        command.add(mainClass.getName());
        command.addAll(List.of(args));
        try {
            Files.createDirectories(log.getParent());
            ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile());
            builder.environment().put("SPARK_LOCAL_IP", "127.0.0.1");
            builder.environment().putAll(environment);
            Process process = builder.start();
            Runtime.getRuntime().addShutdownHook(new Thread(process::destroyForcibly));
            return new ChildJvm(process, log);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start " + mainClass.getName(), e);
        }
    }

    /**
     * A main class from another class path (e.g. a service's shaded jar, whose libraries would clash with Spark's),
     * with environment variables added.
     */
    public static ChildJvm start(String classPath, String mainClass, Map<String, String> environment, Path log, String... args) {
        return start(List.of("-Xmx256m"), classPath, mainClass, environment, log, args);
    }

    /**
     * A main class on a class path of the caller's (e.g. a Spark runtime Maven resolved), with JVM options (heap,
     * Spark's {@code --add-opens}, {@code -Dspark.*} settings) and environment variables added.
     */
    public static ChildJvm start(List<String> jvmOptions, String classPath, String mainClass, Map<String, String> environment, Path log,
            String... args) {
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
        command.addAll(jvmOptions);
        command.addAll(List.of("-cp", classPath, mainClass));
        command.addAll(List.of(args));
        try {
            Files.createDirectories(log.getParent());
            ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile());
            builder.environment().putAll(environment);
            Process process = builder.start();
            Runtime.getRuntime().addShutdownHook(new Thread(process::destroyForcibly));
            return new ChildJvm(process, log);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start " + mainClass, e);
        }
    }

    /** Spark's {@code --add-opens} list for Java 17, as the build passes it to tests. */
    public static List<String> sparkJavaOptions() {
        return Arrays.stream(System.getProperty("streamwatch.java.opens", "").split(" ")).filter(s -> !s.isBlank()).toList();
    }

    /** The process id, e.g. to read its CPU time from {@code /proc}. */
    public long pid() {
        return process.pid();
    }

    public boolean isAlive() {
        return process.isAlive();
    }

    /** SIGTERM, as YARN, Kubernetes and a standalone Worker send on every redeploy. */
    public void terminate() {
        process.destroy();
    }

    /** SIGKILL: the JVM dies at once, no shutdown hook runs. */
    public void kill() {
        process.destroyForcibly();
        awaitExit(Duration.ofSeconds(30));
    }

    /** The exit code, waiting at most {@code timeout}; fails with the log's tail if the JVM still runs. */
    public int awaitExit(Duration timeout) {
        try {
            if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                throw new AssertionError("still running after " + timeout + ":\n" + logTail(40));
            }
            return process.exitValue();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** Everything the JVM printed so far. */
    public String log() {
        try {
            return Files.readString(log);
        } catch (IOException e) {
            return "(no log: " + e.getMessage() + ")";
        }
    }

    public String logTail(int lines) {
        List<String> all = log().lines().toList();
        return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
    }

    @Override
    public void close() {
        if (process.isAlive()) {
            kill();
        }
    }
}
