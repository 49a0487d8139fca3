package io.streamwatch.cluster;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.streamwatch.testkit.FreePorts;
import io.streamwatch.testkit.Http;
import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A real Spark standalone cluster: a Master and a Worker as separate JVMs from the Spark jars Maven copied
 * into target/spark-home/jars, and spark-submit ({@code org.apache.spark.deploy.SparkSubmit}) as a third.
 */
final class StandaloneCluster implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** What spark-submit printed and returned. */
    record Submission(int exitCode, String output) {
    }

    final Path sparkHome;
    final Path workDir;
    final Path workerDir;
    final String masterUrl;
    final String masterWebUrl;
    private final List<Process> processes = new ArrayList<>();

    StandaloneCluster(Path sparkHome, Path workDir) {
        this.sparkHome = sparkHome;
        this.workDir = workDir;
        this.workerDir = workDir.resolve("worker");
        int masterPort = FreePorts.next();
        int masterWebPort = FreePorts.next();
        masterUrl = "spark://127.0.0.1:" + masterPort;
        masterWebUrl = "http://127.0.0.1:" + masterWebPort;
        start("master", List.of("org.apache.spark.deploy.master.Master", "--host", "127.0.0.1", "--port", String.valueOf(masterPort),
                "--webui-port", String.valueOf(masterWebPort)));
        await("the Master", () -> masterJson() != null);
        addWorker("worker", workerDir);
    }

    /** Starts one more Worker with its own work dir; returns its process once the Master counts it alive. */
    Process addWorker(String name, Path dir) {
        int alive = masterJson().path("aliveworkers").asInt();
        Process worker = start(name, List.of("org.apache.spark.deploy.worker.Worker", "--host", "127.0.0.1", "--cores", "2", "--memory", "3g",
                "--webui-port", String.valueOf(FreePorts.next()), "--work-dir", dir.toString(), masterUrl));
        await("a Worker registered", () -> masterJson().path("aliveworkers").asInt() == alive + 1);
        return worker;
    }

    private Process start(String name, List<String> mainAndArgs) {
        List<String> command = new ArrayList<>(List.of(java(), "-Xmx512m", "-cp", sparkHome.resolve("jars") + File.separator + "*"));
        command.addAll(mainAndArgs);
        Process process = launch(command, workDir.resolve(name + ".log"));
        processes.add(process);
        return process;
    }

    /** Runs spark-submit to the end (client mode unless the options say otherwise). */
    Submission submit(List<String> options, Path appJar, String mainClass, List<String> args) {
        Path log = workDir.resolve("submit-" + System.nanoTime() + ".log");
        Process process = startSubmit(options, appJar, mainClass, args, log);
        try {
            if (!process.waitFor(4, TimeUnit.MINUTES)) {
                process.destroyForcibly();
                throw new IllegalStateException("spark-submit of " + mainClass + " did not end: " + Files.readString(log));
            }
            return new Submission(process.exitValue(), Files.readString(log));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** Starts spark-submit and returns at once (for a streaming job the test stops itself); its output goes to {@code log}. */
    Process startSubmit(List<String> options, Path appJar, String mainClass, List<String> args, Path log) {
        List<String> command = new ArrayList<>(List.of(java(), "-Xmx1g"));
        command.addAll(List.of(System.getProperty("streamwatch.java.opens").split(" ")));
        command.addAll(List.of("-cp", sparkHome.resolve("jars") + File.separator + "*", "org.apache.spark.deploy.SparkSubmit",
                "--master", masterUrl, "--class", mainClass,
                "--conf", "spark.jars.ivy=" + workDir.resolve("ivy"),
                "--conf", "spark.ui.enabled=false",
                "--conf", "spark.executor.memory=1g"));
        command.addAll(options);
        command.add(appJar.toString());
        command.addAll(args);
        return launch(command, log);
    }

    /** The Master's view: workers, applications, drivers (it redirects /json to /json/). */
    JsonNode masterJson() {
        return Http.get(masterWebUrl + "/json/").map(body -> {
            try {
                return JSON.readTree(body);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }).orElse(null);
    }

    private Process launch(List<String> command, Path log) {
        try {
            ProcessBuilder builder = new ProcessBuilder(command).directory(workDir.toFile()).redirectErrorStream(true).redirectOutput(log.toFile());
            Map<String, String> env = builder.environment();
            env.put("SPARK_HOME", sparkHome.toString());
            env.put("SPARK_SCALA_VERSION", "2.12");
            env.put("SPARK_LOCAL_IP", "127.0.0.1");
            env.put("SPARK_LOCAL_DIRS", Files.createDirectories(workDir.resolve("local")).toString());
            Process process = builder.start();
            Runtime.getRuntime().addShutdownHook(new Thread(process::destroyForcibly));
            return process;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String java() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }

    private void await(String what, java.util.concurrent.Callable<Boolean> condition) {
        org.awaitility.Awaitility.await(what).atMost(Duration.ofSeconds(60)).ignoreExceptions().until(condition);
    }

    @Override
    public void close() {
        for (int i = processes.size() - 1; i >= 0; i--) {
            Process process = processes.get(i);
            process.destroy();
            try {
                if (!process.waitFor(15, TimeUnit.SECONDS)) {
                    process.destroyForcibly();
                }
            } catch (InterruptedException e) {
                process.destroyForcibly();
                Thread.currentThread().interrupt();
            }
        }
    }
}
