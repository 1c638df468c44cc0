package dev.pdpipeline.bench.scenario;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The processor ({@link ProcessorInstance}) in a JVM of its own: its RSS is its own, and it can be
 * SIGKILLed. Used by the scale-out and soak scenarios.
 */
final class ProcessorChild {

    final Process process;
    final Path log;

    private ProcessorChild(Process process, Path log) {
        this.process = process;
        this.log = log;
    }

    /** Starts a child JVM with this JVM's class path, {@code -Xmx<heap>} and {@code env} added. */
    static ProcessorChild start(Map<String, String> env, String heap, Path log) {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.add("-Xmx" + heap);
        String logback = System.getProperty("logback.configurationFile");
        if (logback != null) {
            command.add("-Dlogback.configurationFile=" + logback);
        }
        command.add("-cp");
        command.add(System.getProperty("java.class.path"));
        command.add(ProcessorInstance.class.getName());
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile());
        builder.environment().putAll(env);
        try {
            return new ProcessorChild(builder.start(), log);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start a processor JVM", e);
        }
    }

    /** SIGKILL, and wait until it is gone. */
    void kill() throws InterruptedException {
        process.destroyForcibly().waitFor();
    }

    /** Closes its stdin (a clean stop), SIGKILL after 60 s; prints its log's tail when it failed. */
    void stop() throws InterruptedException {
        try {
            process.getOutputStream().close();
        } catch (IOException e) {
            process.destroy();
        }
        if (!process.waitFor(60, TimeUnit.SECONDS)) {
            process.destroyForcibly().waitFor();
        }
        if (process.exitValue() != 0) {
            System.err.println("processor exited " + process.exitValue() + "; its log " + log + ":");
            try {
                List<String> lines = Files.readAllLines(log);
                lines.subList(Math.max(0, lines.size() - 30), lines.size()).forEach(System.err::println);
            } catch (IOException e) {
                System.err.println("(unreadable: " + e + ")");
            }
        }
    }
}
