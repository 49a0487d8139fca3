package io.streamwatch.alerting;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A fresh machine needs two commands: the demo and the tests, each installing what the machine lacks; CI runs the second. */
class TwoCommandsTest {
    static final Path REPO = AlertingConfig.repository();

    @TempDir
    Path dir;

    @Test
    void theInstallStepInstallsExactlyWhatIsMissingAndSaysSo() throws IOException {
        Path bin = Files.createDirectories(dir.resolve("bin"));
        Path aptLog = dir.resolve("apt.log");
        for (String tool : List.of("java", "mvn", "id", "sort", "tr", "printf")) {
            link(bin, tool);
        }
        script(bin.resolve("apt-get"), "echo \"apt-get $*\" >> " + aptLog);
        Commands.Result fresh = Commands.runWith(Map.of("PATH", bin.toString()), REPO, "/bin/bash", "scripts/install-stack");
        assertEquals(0, fresh.exitCode(), fresh.output());
        assertTrue(fresh.output().contains("installing chromium chromium-driver docker-compose prometheus prometheus-alertmanager prometheus-pushgateway"), fresh.output());
        assertTrue(Files.readString(aptLog).contains("install -y -qq --no-install-recommends chromium chromium-driver docker-compose prometheus prometheus-alertmanager prometheus-pushgateway"),
                Files.readString(aptLog));

        for (String tool : List.of("prometheus-pushgateway", "prometheus", "promtool", "prometheus-alertmanager", "amtool", "docker-compose",
                "chromium", "chromedriver")) {
            link(bin, tool);
        }
        Files.delete(aptLog);
        Commands.Result ready = Commands.runWith(Map.of("PATH", bin.toString()), REPO, "/bin/bash", "scripts/install-stack");
        assertEquals(0, ready.exitCode(), ready.output());
        assertEquals("", ready.output(), "nothing to install, nothing said");
        assertTrue(Files.notExists(aptLog));
    }

    @Test
    void ciRunsTheReadmesTestCommandAndTheReadmeGivesTwoCommands() throws IOException {
        assertTrue(Files.readString(REPO.resolve(".ci/run")).contains("exec scripts/test"));
        assertTrue(Files.readString(REPO.resolve("scripts/test")).contains("scripts/install-stack"));
        assertTrue(Files.readString(REPO.resolve("scripts/demo")).contains("scripts/install-stack"));
        String readme = Files.readString(REPO.resolve("README.md"));
        String quickStart = readme.substring(readme.indexOf("## Try it locally"), readme.indexOf("##", readme.indexOf("## Try it locally") + 3));
        String commands = quickStart.substring(quickStart.indexOf("```bash") + 7, quickStart.indexOf("```", quickStart.indexOf("```bash") + 7)).strip();
        assertEquals(List.of("scripts/demo", "scripts/test"), commands.lines().map(line -> line.split("\\s+")[0]).toList(), commands);
    }

    private static void link(Path bin, String tool) throws IOException {
        Path target = Path.of("/usr/bin", tool);
        Path link = bin.resolve(tool);
        if (Files.notExists(link)) {
            if (Files.exists(target)) {
                Files.createSymbolicLink(link, target);
            } else {
                script(link, "exit 0");
            }
        }
    }

    private static void script(Path file, String body) throws IOException {
        Files.writeString(file, "#!/bin/sh\n" + body + "\n");
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rwxr-xr-x"));
    }
}
