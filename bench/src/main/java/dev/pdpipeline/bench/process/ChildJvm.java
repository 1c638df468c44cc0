package dev.pdpipeline.bench.process;

import dev.pdpipeline.bench.report.Machine;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A part of a benchmark in a JVM of its own (broker, ingress, processor, no-op server, producer
 * loop), so that it does not share the heap, the GC and the JIT with the subject or the load
 * generator, and its memory and CPU can be read from {@code /proc}. The one place the benchmarks
 * start, watch and stop child processes.
 *
 * <p>The child dies with the parent: {@link #close()} closes its standard input (a child wrapped in
 * {@link ParentWatch} exits on end of input), then SIGTERM, then SIGKILL; a shutdown hook kills it
 * if the parent exits without closing or {@link #stop stopping} it; and if the parent is SIGKILLed,
 * a watching child still sees its standard input close. Its standard error goes to a log file;
 * lines of its standard output go there too, and {@link #awaitLine} waits for one with a given
 * prefix, unless {@link Builder#watchOutput(boolean) false} sends both straight to the file (a
 * service that logs a lot costs the benchmark's JVM nothing then). {@link #awaitReady} waits for its
 * {@link Builder#readiness readiness URL} to answer 200.
 */
public final class ChildJvm implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(ChildJvm.class);
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();
    /** How often {@link #awaitReady} asks; it also wakes at once when the child exits. */
    private static final Duration READY_POLL = Duration.ofMillis(50);

    private final String name;
    private final Process process;
    private final Path log;
    private final long startedNanos;
    private final boolean watchesParent;
    private final boolean watchesOutput;
    private final URI readiness;
    private final Thread hook;
    private final Map<String, CompletableFuture<String>> waiting = new ConcurrentHashMap<>();
    private final List<String> seen = new ArrayList<>();
    private volatile boolean closed;

    private ChildJvm(Builder b, Process process, Path log, long startedNanos) {
        this.name = b.name;
        this.process = process;
        this.log = log;
        this.startedNanos = startedNanos;
        this.watchesParent = b.watchesParent();
        this.watchesOutput = b.watchOutput;
        this.readiness = b.readiness;
        this.hook = new Thread(() -> process.destroyForcibly(), "bench-child-" + name + "-reaper");
        Runtime.getRuntime().addShutdownHook(hook);
        if (watchesOutput) {
            Thread reader = new Thread(this::readStdout, "bench-child-" + name + "-stdout");
            reader.setDaemon(true);
            reader.start();
        }
    }

    public static Builder builder(String name) {
        return new Builder(name);
    }

    /** The {@code java} of this JVM. */
    public static String javaExecutable() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }

    public String name() {
        return name;
    }

    public long pid() {
        return process.pid();
    }

    public Path log() {
        return log;
    }

    public boolean isAlive() {
        return process.isAlive();
    }

    /** Its exit status, once it has exited. */
    public int exitValue() {
        return process.exitValue();
    }

    /** SIGKILL, without a clean stop (fault injection); waits until it is gone. */
    public void kill() {
        process.destroyForcibly();
        try {
            process.waitFor(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** The URL it was started to answer readiness on, or null; its management server's other paths are beside it. */
    public URI readinessUrl() {
        return readiness;
    }

    /** Resident set size in KiB ({@code VmRSS}), or -1. */
    public long rssKb() {
        return Machine.processStatusKb(process.pid(), "VmRSS:");
    }

    /** Peak resident set size in KiB ({@code VmHWM}), or -1. */
    public long peakRssKb() {
        return Machine.processStatusKb(process.pid(), "VmHWM:");
    }

    /**
     * CPU time (user + system) the child has used so far, in ns, or -1 where the OS does not say (or
     * it is gone). On Linux the JDK reads it from {@code utime} + {@code stime} of {@code /proc/<pid>/stat}.
     */
    public long cpuNanos() {
        return process.toHandle().info().totalCpuDuration().map(Duration::toNanos).orElse(-1L);
    }

    /**
     * Waits until the child prints a line starting with {@code prefix} on its standard output and
     * returns the rest of that line; fails with the tail of its log when it exits or times out first.
     */
    public String awaitLine(String prefix, Duration timeout) {
        if (!watchesOutput) {
            throw new IllegalStateException("the standard output of " + name + " goes straight to " + log
                    + ": nothing watches it for '" + prefix + "'");
        }
        CompletableFuture<String> line;
        synchronized (seen) {
            for (String s : seen) {
                if (s.startsWith(prefix)) {
                    return s.substring(prefix.length()).trim();
                }
            }
            line = waiting.computeIfAbsent(prefix, p -> new CompletableFuture<>());
        }
        CompletableFuture<Void> exited = process.onExit().thenAccept(p -> { });
        try {
            CompletableFuture.anyOf(line, exited).get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            throw new IllegalStateException(name + " did not print '" + prefix + "' within " + timeout.toSeconds()
                    + " s" + tail(), e);
        } catch (ExecutionException e) {
            throw new IllegalStateException(name + " failed", e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for " + name, e);
        }
        if (line.isDone()) {
            return line.join();
        }
        throw new IllegalStateException(name + " exited with status " + process.exitValue() + " before printing '"
                + prefix + "'" + tail());
    }

    /** Waits for the child to exit by itself; its exit status. */
    public int waitFor(Duration timeout) {
        try {
            if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                throw new IllegalStateException(name + " still running after " + timeout.toSeconds() + " s" + tail());
            }
            return process.exitValue();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for " + name, e);
        }
    }

    /**
     * Waits until a GET of its {@link Builder#readiness readiness URL} answers 200; the seconds from
     * starting the JVM to that answer.
     *
     * @throws NotReadyException when the child exits first, or {@code timeout} (counted from the start
     *     of the JVM) passes
     */
    public double awaitReady(Duration timeout) {
        if (readiness == null) {
            throw new IllegalStateException(name + " was started without a readiness URL");
        }
        HttpRequest request = HttpRequest.newBuilder(readiness).timeout(Duration.ofSeconds(2)).GET().build();
        long deadline = startedNanos + timeout.toNanos();
        while (true) {
            if (!process.isAlive()) {
                throw new NotReadyException("the " + name + " exited with status " + process.exitValue()
                        + " before it was ready", tailLines(25), true);
            }
            try {
                if (HTTP.send(request, HttpResponse.BodyHandlers.discarding()).statusCode() == 200) {
                    return (System.nanoTime() - startedNanos) / 1e9;
                }
            } catch (IOException e) {
                // not listening yet
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while waiting for the " + name, e);
            }
            if (System.nanoTime() - deadline > 0) {
                throw new NotReadyException("the " + name + " was not ready within " + timeout.toSeconds() + " s",
                        tailLines(25), false);
            }
            waitForExit(READY_POLL);
        }
    }

    /** The last lines of the child's log, for error messages. */
    public String tail() {
        try {
            List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
            return "; the end of its log " + log + ":\n  "
                    + String.join("\n  ", lines.subList(Math.max(0, lines.size() - 25), lines.size()));
        } catch (IOException | RuntimeException e) {
            return "; its log " + log + " is unreadable: " + e;
        }
    }

    /** The last {@code lines} lines of the log, one per line. */
    public String tailLines(int lines) {
        try {
            List<String> all = Files.readAllLines(log, StandardCharsets.UTF_8);
            return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
        } catch (IOException | RuntimeException e) {
            return "(log unreadable: " + e + ")";
        }
    }

    /**
     * Copies the log into {@code dir} (e.g. the results folder, when the log's own folder is deleted
     * at the end of the run) as {@code <prefix>-<log name>}; the copy, or the log itself when it cannot
     * be copied.
     */
    public Path keepLog(Path dir, String prefix) {
        try {
            Files.createDirectories(dir);
            Path copy = dir.resolve(prefix + "-" + log.getFileName());
            Files.copy(log, copy, StandardCopyOption.REPLACE_EXISTING);
            return copy;
        } catch (IOException | RuntimeException e) {
            return log;
        }
    }

    /**
     * SIGTERM (a clean stop for a service: its shutdown hooks commit, flush and close), SIGKILL after
     * {@code grace}; its exit status, or -1 if it is somehow still there.
     */
    public int stop(Duration grace) {
        closed = true;
        try {
            return terminate(grace);
        } finally {
            removeHook();
        }
    }

    /** 0, or 143 (128 + SIGTERM: a JVM's status after its shutdown hooks ran on a SIGTERM). */
    public static boolean stoppedCleanly(int exit) {
        return exit == 0 || exit == 143;
    }

    /**
     * A clean stop (standard input closed, for a child that {@link ParentWatch watches} it), then
     * SIGTERM, then SIGKILL; waits until it is gone. A child that does not watch its standard input
     * gets the SIGTERM at once.
     */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            if (watchesParent) {
                try {
                    process.getOutputStream().close();
                } catch (IOException e) {
                    // already gone
                }
                if (process.waitFor(30, TimeUnit.SECONDS)) {
                    return;
                }
                terminate(Duration.ofSeconds(10));
            } else {
                terminate(Duration.ofSeconds(30));
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        } finally {
            removeHook();
        }
    }

    private int terminate(Duration grace) {
        process.destroy();
        try {
            if (!process.waitFor(grace.toMillis(), TimeUnit.MILLISECONDS)) {
                LOG.warn("the {} did not stop within {} s of SIGTERM: SIGKILL", name, grace.toSeconds());
                process.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            process.destroyForcibly();
        }
        return process.isAlive() ? -1 : process.exitValue();
    }

    private void removeHook() {
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException e) {
            // the JVM is shutting down: the hook runs anyway
        }
    }

    /** Waits up to {@code time}, less when the child exits meanwhile. */
    private void waitForExit(Duration time) {
        try {
            process.onExit().get(time.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException | ExecutionException e) {
            // still running: time to ask again
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for the " + name, e);
        }
    }

    private void readStdout() {
        try (BufferedReader in = new BufferedReader(
                new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
            for (String line = in.readLine(); line != null; line = in.readLine()) {
                Files.writeString(log, line + System.lineSeparator(), StandardCharsets.UTF_8,
                        StandardOpenOption.CREATE, StandardOpenOption.APPEND);
                synchronized (seen) {
                    seen.add(line);
                    if (seen.size() > 1000) {
                        seen.remove(0);
                    }
                    for (Map.Entry<String, CompletableFuture<String>> w : waiting.entrySet()) {
                        if (line.startsWith(w.getKey())) {
                            w.getValue().complete(line.substring(w.getKey().length()).trim());
                        }
                    }
                }
            }
        } catch (IOException e) {
            // the child is gone
        }
    }

    /** A child that did not become ready: it exited (the log's tail says why) or timed out. */
    public static final class NotReadyException extends IllegalStateException {
        private final boolean exited;
        private final String reason;

        NotReadyException(String reason, String logTail, boolean exited) {
            super(reason + "; its log ends with:\n" + logTail);
            this.exited = exited;
            this.reason = reason;
        }

        /** It exited, rather than timed out. */
        public boolean exited() {
            return exited;
        }

        /** One line: what happened, without the log. */
        public String reason() {
            return reason;
        }
    }

    /** How to start one child JVM. */
    public static final class Builder {
        private final String name;
        private String heap = "512m";
        private final List<String> jvmOptions = new ArrayList<>();
        private String classPath = System.getProperty("java.class.path");
        private String mainClass;
        private String jar;
        private final List<String> args = new ArrayList<>();
        private final Map<String, String> env = new LinkedHashMap<>();
        private Path log;
        private boolean watchParent = true;
        private boolean inheritLogging = true;
        private boolean watchOutput = true;
        private URI readiness;

        private Builder(String name) {
            this.name = Objects.requireNonNull(name, "name");
        }

        /** {@code -Xmx}, e.g. {@code 1g}. */
        public Builder heap(String heap) {
            this.heap = heap;
            return this;
        }

        /** More JVM options (null or a blank string adds nothing; several are split on white space). */
        public Builder jvmOptions(String options) {
            if (options != null && !options.isBlank()) {
                jvmOptions.addAll(List.of(options.trim().split("\\s+")));
            }
            return this;
        }

        public Builder classPath(String classPath) {
            this.classPath = classPath;
            return this;
        }

        /** The main class to run (wrapped in {@link ParentWatch} unless {@link #watchParent(boolean)} is false). */
        public Builder main(String mainClass, String... args) {
            this.mainClass = mainClass;
            this.args.addAll(List.of(args));
            return this;
        }

        /** Runs {@code java -jar jar args} instead of a main class (it cannot watch the parent). */
        public Builder jar(String jar, String... args) {
            this.jar = jar;
            this.args.addAll(List.of(args));
            return this;
        }

        /** Added to this process's environment. */
        public Builder env(Map<String, String> values) {
            env.putAll(values);
            return this;
        }

        public Builder env(String key, String value) {
            env.put(key, value);
            return this;
        }

        /** Its log file (created afresh); a temporary file unless given. */
        public Builder log(Path log) {
            this.log = log;
            return this;
        }

        public Builder watchParent(boolean watch) {
            this.watchParent = watch;
            return this;
        }

        /**
         * Whether a class-path child logs with this JVM's {@code logback.configurationFile} (the
         * default); false leaves it to the child's class path (the launcher's own logging).
         */
        public Builder inheritLogging(boolean inherit) {
            this.inheritLogging = inherit;
            return this;
        }

        /**
         * Whether this JVM reads the child's standard output line by line, for {@link #awaitLine} (the
         * default); false sends it, with standard error, straight into the log file.
         */
        public Builder watchOutput(boolean watch) {
            this.watchOutput = watch;
            return this;
        }

        /** The URL that answers 200 once the child is ready (e.g. its {@code /health/ready}), for {@link #awaitReady}. */
        public Builder readiness(URI url) {
            this.readiness = url;
            return this;
        }

        /** The command {@link #start()} runs. */
        public List<String> command() {
            List<String> command = new ArrayList<>();
            command.add(javaExecutable());
            command.add("-Xmx" + heap);
            String logback = System.getProperty("logback.configurationFile");
            if (inheritLogging && jar == null && logback != null) {
                command.add("-Dlogback.configurationFile=" + logback);
            }
            command.addAll(jvmOptions);
            if (jar != null) {
                command.add("-jar");
                command.add(jar);
            } else {
                command.add("-cp");
                command.add(classPath);
                if (watchParent) {
                    command.add(ParentWatch.class.getName());
                }
                command.add(Objects.requireNonNull(mainClass, "main class"));
            }
            command.addAll(args);
            return command;
        }

        private boolean watchesParent() {
            return watchParent && jar == null;
        }

        public ChildJvm start() {
            List<String> command = command();
            try {
                Path file = log != null ? log : Files.createTempFile("bench-" + name + "-", ".log");
                Files.createDirectories(file.toAbsolutePath().getParent());
                Files.deleteIfExists(file);
                Files.createFile(file);
                ProcessBuilder builder = new ProcessBuilder(command);
                if (watchOutput) {
                    builder.redirectError(ProcessBuilder.Redirect.appendTo(file.toFile()));
                } else {
                    builder.redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(file.toFile()));
                }
                builder.environment().putAll(env);
                long started = System.nanoTime();
                return new ChildJvm(this, builder.start(), file, started);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot start the " + name + " JVM: " + command, e);
            }
        }
    }
}
