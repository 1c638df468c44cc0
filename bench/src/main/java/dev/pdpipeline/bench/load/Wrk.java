package dev.pdpipeline.bench.load;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The external load generator of the ingress scenario's maximum throughput: Debian's {@code wrk}
 * (closed loop, {@code connections} keep-alive connections each sending its next request when the
 * answer came), with the script {@code wrk/deliveries.lua} (a resource of this module) cycling
 * through pre-signed deliveries and printing its result as {@code WRK_RESULT}/{@code WRK_LATENCY_US}
 * lines.
 */
public final class Wrk {

    /** What one wrk run measured. Latencies in ms; {@code non2xx} = answers with a status of 400 or more. */
    public record Result(int connections, long requests, double seconds, long non2xx, long connectErrors,
            long readErrors, long writeErrors, long timeouts, double p50Ms, double p90Ms, double p99Ms,
            double p999Ms, double maxMs, double meanMs) {

        public double requestsPerSecond() {
            return seconds <= 0 ? 0 : requests / seconds;
        }

        /** Answers below 400, per second (wrk counts 3xx as success too; the subjects answer 202 or 4xx/5xx). */
        public double okPerSecond() {
            return seconds <= 0 ? 0 : (requests - non2xx) / seconds;
        }

        public long socketErrors() {
            return connectErrors + readErrors + writeErrors + timeouts;
        }
    }

    private final Path executable;

    private Wrk(Path executable) {
        this.executable = executable;
    }

    /**
     * Finds {@code wrk}: {@code explicit} when given, else on the PATH; fails with what to install
     * when it is missing (the scenario cannot measure without it).
     */
    public static Wrk find(String explicit) {
        if (explicit != null && !explicit.isBlank()) {
            Path p = Path.of(explicit);
            if (Files.isExecutable(p)) {
                return new Wrk(p);
            }
            throw new IllegalStateException("wrk not found at " + explicit + " (--wrk)");
        }
        String path = System.getenv().getOrDefault("PATH", "/usr/local/bin:/usr/bin:/bin");
        for (String dir : path.split(File.pathSeparator)) {
            if (!dir.isEmpty()) {
                Path p = Path.of(dir, "wrk");
                if (Files.isExecutable(p)) {
                    return new Wrk(p);
                }
            }
        }
        throw new IllegalStateException("wrk is not installed: the ingress scenario measures the maximum"
                + " throughput with it. Install it (Debian/Ubuntu: apt-get install wrk) or name it with --wrk PATH.");
    }

    public Path executable() {
        return executable;
    }

    /** Copies the module's script to {@code dir}; its path. */
    public static Path writeScript(Path dir) {
        try (InputStream in = Wrk.class.getResourceAsStream("/wrk/deliveries.lua")) {
            if (in == null) {
                throw new IllegalStateException("wrk/deliveries.lua is missing from the class path");
            }
            Files.createDirectories(dir);
            Path script = dir.resolve("deliveries.lua");
            Files.copy(in, script, StandardCopyOption.REPLACE_EXISTING);
            return script;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the wrk script to " + dir, e);
        }
    }

    /**
     * Runs {@code wrk} against {@code url} for {@code seconds} with {@code connections} connections
     * over {@code threads} threads; its whole output goes to {@code log}.
     */
    public Result run(Path script, Path deliveries, String url, int connections, int threads, int seconds, Path log) {
        int t = Math.max(1, Math.min(threads, connections));
        List<String> command = List.of(executable.toString(), "-t", Integer.toString(t), "-c",
                Integer.toString(connections), "-d", seconds + "s", "--timeout", "10s", "-s", script.toString(), url,
                "--", deliveries.toString());
        try {
            Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
            if (!p.waitFor(seconds + 60L, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IllegalStateException("wrk did not finish: " + String.join(" ", command));
            }
            String output = Files.readString(log, StandardCharsets.UTF_8);
            if (p.exitValue() != 0) {
                throw new IllegalStateException("wrk exited with status " + p.exitValue() + " (" + String.join(" ",
                        command) + "):\n" + output);
            }
            return parse(connections, output);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot run " + command, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while running wrk", e);
        }
    }

    /** Reads the script's {@code WRK_RESULT} and {@code WRK_LATENCY_US} lines. */
    public static Result parse(int connections, String output) {
        Map<String, String> result = null;
        Map<String, String> latency = null;
        for (String line : output.split("\\R")) {
            if (line.startsWith("WRK_RESULT ")) {
                result = fields(line);
            } else if (line.startsWith("WRK_LATENCY_US ")) {
                latency = fields(line);
            }
        }
        if (result == null || latency == null) {
            throw new IllegalStateException("wrk printed no WRK_RESULT/WRK_LATENCY_US line (is the script"
                    + " wrk/deliveries.lua in use?):\n" + output);
        }
        return new Result(connections, l(result, "requests"), l(result, "duration_us") / 1e6, l(result, "status"),
                l(result, "connect"), l(result, "read"), l(result, "write"), l(result, "timeout"),
                ms(latency, "p50"), ms(latency, "p90"), ms(latency, "p99"), ms(latency, "p999"), ms(latency, "max"),
                ms(latency, "mean"));
    }

    private static Map<String, String> fields(String line) {
        Map<String, String> map = new HashMap<>();
        List<String> parts = new ArrayList<>(List.of(line.trim().split("\\s+")));
        parts.remove(0);
        for (String part : parts) {
            int eq = part.indexOf('=');
            if (eq > 0) {
                map.put(part.substring(0, eq), part.substring(eq + 1));
            }
        }
        return map;
    }

    private static long l(Map<String, String> m, String key) {
        String v = m.get(key);
        if (v == null) {
            throw new IllegalStateException("wrk's result has no " + key + ": " + m);
        }
        return (long) Double.parseDouble(v);
    }

    private static double ms(Map<String, String> m, String key) {
        String v = m.get(key);
        if (v == null) {
            throw new IllegalStateException("wrk's latency has no " + key + ": " + m);
        }
        return Math.round(Double.parseDouble(v) / 10.0) / 100.0;
    }
}
