package dev.pdpipeline.bench.process;

import dev.pdpipeline.bench.report.Machine;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
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

/**
 * A part of a benchmark in a JVM of its own (broker, ingress, no-op server, producer loop), so that
 * it does not share the heap, the GC and the JIT with the subject or the load generator.
 *
 * <p>The child dies with the parent three ways: {@link #close()} closes its standard input (the
 * child's {@link ParentWatch} exits on end of input), then SIGTERM, then SIGKILL; a shutdown hook
 * does the same if the parent exits without closing; and if the parent is SIGKILLed, the child
 * still sees its standard input close. Its standard error goes to a log file; lines of its
 * standard output go there too, and {@link #awaitLine} waits for one with a given prefix.
 */
public final class ChildJvm implements AutoCloseable {

    private final String name;
    private final Process process;
    private final Path log;
    private final Thread hook;
    private final Map<String, CompletableFuture<String>> waiting = new ConcurrentHashMap<>();
    private final List<String> seen = new ArrayList<>();
    private volatile boolean closed;

    private ChildJvm(String name, Process process, Path log) {
        this.name = name;
        this.process = process;
        this.log = log;
        this.hook = new Thread(() -> process.destroyForcibly(), "bench-child-" + name + "-reaper");
        Runtime.getRuntime().addShutdownHook(hook);
        Thread reader = new Thread(this::readStdout, "bench-child-" + name + "-stdout");
        reader.setDaemon(true);
        reader.start();
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

    /** Resident set size in KiB ({@code VmRSS}), or -1. */
    public long rssKb() {
        return Machine.processStatusKb(process.pid(), "VmRSS:");
    }

    /** Peak resident set size in KiB ({@code VmHWM}), or -1. */
    public long peakRssKb() {
        return Machine.processStatusKb(process.pid(), "VmHWM:");
    }

    /** CPU time (user + system) the child has used so far, in ns, or -1 where the OS does not say. */
    public long cpuNanos() {
        return process.toHandle().info().totalCpuDuration().map(Duration::toNanos).orElse(-1L);
    }

    /**
     * Waits until the child prints a line starting with {@code prefix} on its standard output and
     * returns the rest of that line; fails with the tail of its log when it exits or times out first.
     */
    public String awaitLine(String prefix, Duration timeout) {
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

    /** The last lines of the child's log, for error messages. */
    public String tail() {
        try {
            List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
            return "; the end of its log " + log + ":\n  "
                    + String.join("\n  ", lines.subList(Math.max(0, lines.size() - 25), lines.size()));
        } catch (IOException e) {
            return "; its log " + log + " is unreadable: " + e;
        }
    }

    /** A clean stop (standard input closed), then SIGTERM, then SIGKILL; waits until it is gone. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            try {
                process.getOutputStream().close();
            } catch (IOException e) {
                // already gone
            }
            if (!process.waitFor(30, TimeUnit.SECONDS)) {
                process.destroy();
                if (!process.waitFor(10, TimeUnit.SECONDS)) {
                    process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
                }
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        } finally {
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException e) {
                // the JVM is shutting down: the hook runs anyway
            }
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

        private Builder(String name) {
            this.name = Objects.requireNonNull(name, "name");
        }

        /** {@code -Xmx}, e.g. {@code 1g}. */
        public Builder heap(String heap) {
            this.heap = heap;
            return this;
        }

        /** More JVM options (a blank string adds nothing; several are split on spaces). */
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

        public Builder env(Map<String, String> values) {
            env.putAll(values);
            return this;
        }

        public Builder env(String key, String value) {
            env.put(key, value);
            return this;
        }

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

        public ChildJvm start() {
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
            try {
                Path file = log != null ? log : Files.createTempFile("bench-" + name + "-", ".log");
                Files.createDirectories(file.toAbsolutePath().getParent());
                Files.deleteIfExists(file);
                Files.createFile(file);
                ProcessBuilder builder = new ProcessBuilder(command)
                        .redirectError(ProcessBuilder.Redirect.appendTo(file.toFile()));
                builder.environment().putAll(env);
                return new ChildJvm(name, builder.start(), file);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot start the " + name + " JVM: " + command.get(0), e);
            }
        }
    }
}
