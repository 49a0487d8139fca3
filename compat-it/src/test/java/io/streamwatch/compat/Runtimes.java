package io.streamwatch.compat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * The runtimes of {@code compat-it/runtimes}: each a POM of a Spark runtime's artifacts, whose class path Maven resolves
 * (once per build, kept in {@code target/runtimes}).
 */
final class Runtimes {
    private static final Path DEFINITIONS = Path.of(System.getProperty("streamwatch.runtimes", "runtimes"));
    private static final Path RESOLVED = Path.of("target", "runtimes").toAbsolutePath();

    private Runtimes() {
    }

    /** The class path Maven resolves for the runtime's POM (its own dependencies and theirs); one resolution at a time. */
    static synchronized String classPath(String runtime) {
        Path pom = DEFINITIONS.resolve(runtime).resolve("pom.xml").toAbsolutePath();
        Path out = RESOLVED.resolve(runtime + ".classpath");
        try {
            if (!Files.exists(out) || Files.getLastModifiedTime(out).compareTo(Files.getLastModifiedTime(pom)) < 0) {
                Files.createDirectories(RESOLVED);
                Path log = RESOLVED.resolve(runtime + ".mvn.log");
                Process mvn = new ProcessBuilder(mvn(), "-B", "-q", "-f", pom.toString(), "dependency:build-classpath",
                        "-Dmdep.outputFile=" + out, "-Dmdep.includeScope=runtime")
                        .redirectErrorStream(true).redirectOutput(log.toFile()).start();
                if (!mvn.waitFor(10, TimeUnit.MINUTES) || mvn.exitValue() != 0) {
                    mvn.destroyForcibly();
                    throw new IllegalStateException("Maven cannot resolve the runtime " + runtime + ":\n" + Files.readString(log));
                }
            }
            return Files.readString(out).strip();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static String mvn() {
        String home = System.getProperty("maven.home");
        if (home != null && Files.isExecutable(Path.of(home, "bin", "mvn"))) {
            return Path.of(home, "bin", "mvn").toString();
        }
        return "mvn";
    }
}
