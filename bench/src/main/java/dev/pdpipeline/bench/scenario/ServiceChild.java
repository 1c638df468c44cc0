package dev.pdpipeline.bench.scenario;

import dev.pdpipeline.bench.kafka.BenchKafka;
import dev.pdpipeline.bench.report.Machine;
import dev.pdpipeline.common.topics.TopicCatalogue;
import dev.pdpipeline.launcher.Pipeline;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarFile;

/**
 * One part of the pipeline ({@code ingress}, {@code processor}) in a JVM of its own, started the way
 * users start it: {@code java -jar launcher/target/pipeline.jar <part>} (what {@code bin/pipeline}
 * runs) with its settings in the environment. Its memory and CPU are its own, so they can be read
 * from {@code /proc}; it is stopped with SIGTERM like a container.
 *
 * <p>Extra JVM options for every such child (e.g. a JFR recording): {@code BENCH_CHILD_JAVA_OPTS}.
 */
final class ServiceChild {

    /** Extra options for the child JVMs, split on white space. */
    static final String CHILD_JAVA_OPTS = "BENCH_CHILD_JAVA_OPTS";

    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();

    final String part;
    final Process process;
    final Path log;
    final int managementPort;
    final long startedNanos;

    private ServiceChild(String part, Process process, Path log, int managementPort, long startedNanos) {
        this.part = part;
        this.process = process;
        this.log = log;
        this.managementPort = managementPort;
        this.startedNanos = startedNanos;
    }

    /** A part that did not become ready: exited (the log's tail says why) or timed out. */
    static final class NotReadyException extends RuntimeException {
        final boolean exited;
        /** One line: what happened, without the log. */
        final String reason;

        NotReadyException(String reason, String logTail, boolean exited) {
            super(reason + "; its log ends with:\n" + logTail);
            this.exited = exited;
            this.reason = reason;
        }
    }

    /**
     * Starts {@code bin/pipeline <part>} in a child JVM with {@code -Xmx<heap>} and {@code env}
     * added to this process's environment; its management server on a free loopback port (unless
     * {@code env} names one), its standard output and error into {@code log}.
     */
    static ServiceChild start(String part, Map<String, String> env, String heap, Path log) {
        Map<String, String> settings = new HashMap<>(env);
        settings.putIfAbsent("MANAGEMENT_HOST", "127.0.0.1");
        String port = settings.get("MANAGEMENT_PORT");
        if (port == null || port.equals("0")) {
            settings.put("MANAGEMENT_PORT", Integer.toString(freePort()));
        }
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.add("-Xmx" + heap);
        String extra = System.getenv(CHILD_JAVA_OPTS);
        if (extra != null && !extra.isBlank()) {
            command.addAll(List.of(extra.trim().split("\\s+")));
        }
        command.addAll(launcher());
        command.add(part);
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile());
        builder.environment().putAll(settings);
        try {
            Files.createDirectories(log.toAbsolutePath().getParent());
            long started = System.nanoTime();
            Process process = builder.start();
            return new ServiceChild(part, process, log, Integer.parseInt(settings.get("MANAGEMENT_PORT")), started);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start the " + part + " JVM: " + command, e);
        }
    }

    /**
     * How the launcher is run: {@code -jar pipeline.jar} when the launcher on this class path is
     * its executable jar (the usual case after {@code ./mvnw package}), else its main class on this
     * JVM's class path.
     */
    static List<String> launcher() {
        try {
            Path location = Path.of(Pipeline.class.getProtectionDomain().getCodeSource().getLocation().toURI());
            if (Files.isRegularFile(location)) {
                try (JarFile jar = new JarFile(location.toFile())) {
                    if (jar.getManifest() != null && Pipeline.class.getName().equals(
                            jar.getManifest().getMainAttributes().getValue("Main-Class"))) {
                        return List.of("-jar", location.toString());
                    }
                }
            }
        } catch (URISyntaxException | IOException | RuntimeException e) {
            // fall back to the class path
        }
        return List.of("-cp", System.getProperty("java.class.path"), Pipeline.class.getName());
    }

    long pid() {
        return process.pid();
    }

    /**
     * Waits until {@code GET /health/ready} answers 200; the seconds from starting the JVM to that
     * answer.
     *
     * @throws NotReadyException when the process exits first or {@code timeout} passes
     */
    double awaitReady(Duration timeout) {
        URI uri = URI.create("http://127.0.0.1:" + managementPort + "/health/ready");
        HttpRequest request = HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(2)).GET().build();
        long deadline = startedNanos + timeout.toNanos();
        while (true) {
            if (!process.isAlive()) {
                throw new NotReadyException("the " + part + " exited with status " + process.exitValue()
                        + " before it was ready", logTail(25), true);
            }
            try {
                HttpResponse<Void> response = HTTP.send(request, HttpResponse.BodyHandlers.discarding());
                if (response.statusCode() == 200) {
                    return (System.nanoTime() - startedNanos) / 1e9;
                }
            } catch (IOException e) {
                // not listening yet
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while waiting for the " + part, e);
            }
            if (System.nanoTime() - deadline > 0) {
                throw new NotReadyException("the " + part + " was not ready within " + timeout.toSeconds() + " s",
                        logTail(25), false);
            }
            pause(50);
        }
    }

    /** {@code VmRSS} in KiB (-1 when gone). */
    long rssKb() {
        return Machine.processStatusKb(process.pid(), "VmRSS:");
    }

    /** {@code VmHWM}, the peak resident set of the process's whole life, in KiB (-1 when gone). */
    long peakRssKb() {
        return Machine.processStatusKb(process.pid(), "VmHWM:");
    }

    /**
     * User + system CPU time of the process so far in ns, from {@code /proc/<pid>/stat} (clock
     * ticks of 10 ms, Linux's USER_HZ), or -1.
     */
    long cpuNanos() {
        try {
            String stat = Files.readString(Path.of("/proc/" + process.pid() + "/stat"));
            // the command name (field 2) is in parentheses and may contain spaces
            String[] fields = stat.substring(stat.lastIndexOf(')') + 2).trim().split("\\s+");
            long ticks = Long.parseLong(fields[11]) + Long.parseLong(fields[12]); // utime, stime (fields 14, 15)
            return ticks * 10_000_000L;
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }

    /**
     * SIGTERM (a clean stop: the launcher commits, flushes and closes), SIGKILL after
     * {@code grace}; the exit status.
     */
    int stop(Duration grace) {
        process.destroy();
        try {
            if (!process.waitFor(grace.toMillis(), TimeUnit.MILLISECONDS)) {
                System.err.println("the " + part + " did not stop within " + grace.toSeconds() + " s of SIGTERM: SIGKILL");
                process.destroyForcibly().waitFor();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            process.destroyForcibly();
        }
        return process.isAlive() ? -1 : process.exitValue();
    }

    /** 0, or 143 (128 + SIGTERM: the JVM's status after its shutdown hooks ran on a SIGTERM). */
    static boolean stoppedCleanly(int exit) {
        return exit == 0 || exit == 143;
    }

    /**
     * Copies the log into {@code dir} (the results folder: the run's temporary folder is deleted at
     * the end) as {@code <prefix>-<log name>}; the copy, or the log itself when it cannot be copied.
     */
    Path keepLog(Path dir, String prefix) {
        try {
            Files.createDirectories(dir);
            Path copy = dir.resolve(prefix + "-" + log.getFileName());
            Files.copy(log, copy, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            return copy;
        } catch (IOException | RuntimeException e) {
            return log;
        }
    }

    /** The last {@code lines} lines of the log. */
    String logTail(int lines) {
        try {
            List<String> all = Files.readAllLines(log);
            return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
        } catch (IOException | RuntimeException e) {
            return "(log unreadable: " + e + ")";
        }
    }

    /**
     * The notes writer's topics and the decisions and re-drive topics, named for this run, so
     * that benchmarks sharing one broker never read each other's records.
     */
    static Map<String, String> runTopics(BenchKafka kafka) {
        Map<String, String> env = new HashMap<>();
        env.put(TopicCatalogue.RESULTS_TOPIC_ENV, kafka.unique("results"));
        env.put(TopicCatalogue.RESULTS_DLQ_TOPIC_ENV, kafka.unique("results-dlq"));
        env.put(TopicCatalogue.RESULTS_LEDGER_TOPIC_ENV, kafka.unique("ledger"));
        env.put(TopicCatalogue.DECISIONS_TOPIC_ENV, kafka.unique("decisions"));
        env.put(TopicCatalogue.REDRIVES_TOPIC_ENV, kafka.unique("redrives"));
        return env;
    }

    static int freePort() {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static void pause(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }
}
