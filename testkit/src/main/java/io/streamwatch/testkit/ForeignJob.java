package io.streamwatch.testkit;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.stream.Stream;
import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;

/**
 * A user's streaming job that knows nothing of streamwatch ({@code ForeignStreamingJob}, a source file of this
 * module's), compiled against the class path of the Spark it will run on (each runtime of the compatibility test,
 * a cluster's Spark), so that it uses that Spark's API as a user's job does.
 */
public final class ForeignJob {
    /** The job's main class (in the unnamed package, as a user's throwaway job). */
    public static final String MAIN_CLASS = "ForeignStreamingJob";

    private ForeignJob() {
    }

    /** Compiles the job against {@code classPath} into {@code into/classes}; returns that folder. */
    public static Path compile(String classPath, Path into) {
        try {
            Path source = Files.createDirectories(into.resolve("src")).resolve(MAIN_CLASS + ".java");
            try (InputStream in = ForeignJob.class.getResourceAsStream("/foreign/" + MAIN_CLASS + ".java")) {
                Files.write(source, in.readAllBytes());
            }
            Path classes = Files.createDirectories(into.resolve("classes"));
            JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
            int result = javac.run(null, null, null, "-proc:none", "-classpath", classPath, "-d", classes.toString(), source.toString());
            if (result != 0) {
                throw new IllegalStateException("the foreign job does not compile against " + classPath);
            }
            return classes;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The compiled job as an application jar for spark-submit. */
    public static Path jar(Path classes, Path jar) {
        try (OutputStream out = Files.newOutputStream(jar); JarOutputStream jarOut = new JarOutputStream(out);
             Stream<Path> files = Files.walk(classes)) {
            for (Path file : files.filter(Files::isRegularFile).sorted().toList()) {
                jarOut.putNextEntry(new JarEntry(classes.relativize(file).toString().replace('\\', '/')));
                Files.copy(file, jarOut);
                jarOut.closeEntry();
            }
            return jar;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
