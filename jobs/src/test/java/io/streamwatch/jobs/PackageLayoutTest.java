package io.streamwatch.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The tree is the map: one package per system over a small kernel. A system imports the kernel ({@code common}), the
 * visits table ({@code visits}, shared by the lag and SLA systems) and the rules model, never another system; the kernel
 * imports no system. Read from the sources, so a new import between systems fails here.
 */
class PackageLayoutTest {
    static final Path SOURCES = Path.of("src/main/java/io/streamwatch/jobs");
    static final Set<String> SYSTEMS = Set.of("lag", "sla", "alarms", "spikes", "notify");
    static final Map<String, Set<String>> ALLOWED = Map.of("common", Set.of(), "visits", Set.of("common"));
    static final Pattern IMPORT = Pattern.compile("(?m)^import (?:static )?io\\.streamwatch\\.jobs\\.([a-z]+)\\.");

    @Test
    void noSystemImportsAnotherAndTheKernelImportsNone() throws IOException {
        List<String> violations = new ArrayList<>();
        try (Stream<Path> files = Files.walk(SOURCES)) {
            for (Path file : files.filter(f -> f.toString().endsWith(".java")).toList()) {
                String pkg = SOURCES.relativize(file).getName(0).toString();
                Set<String> allowed = SYSTEMS.contains(pkg) ? Set.of("common", "visits", pkg) : ALLOWED.get(pkg);
                assertTrue(allowed != null, file + " is outside the packages of the layout");
                Matcher imports = IMPORT.matcher(Files.readString(file));
                while (imports.find()) {
                    if (!imports.group(1).equals(pkg) && !allowed.contains(imports.group(1))) {
                        violations.add(file + " imports io.streamwatch.jobs." + imports.group(1));
                    }
                }
            }
        }
        assertEquals(List.of(), violations);
    }

    @Test
    void everyPackageSaysWhatItIs() {
        for (String pkg : List.of("common", "visits", "lag", "sla", "alarms", "spikes", "notify")) {
            assertTrue(Files.exists(SOURCES.resolve(pkg).resolve("package-info.java")), pkg + " has a package-info.java");
        }
        try (Stream<Path> top = Files.list(SOURCES)) {
            assertEquals(List.of(), top.filter(Files::isRegularFile).toList(), "no class outside the packages");
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
