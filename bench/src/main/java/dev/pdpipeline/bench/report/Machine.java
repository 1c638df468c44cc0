package dev.pdpipeline.bench.report;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.pdpipeline.common.json.Json;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.apache.kafka.common.utils.AppInfoParser;

/**
 * What the numbers were measured on. Every result carries it, with the load average, because on a
 * shared 2-core machine the absolute figures mean little without it.
 */
public final class Machine {

    private Machine() {
    }

    /** Cores, memory, CPU model, JDK, Kafka version. */
    public static ObjectNode describe() {
        ObjectNode m = Json.mapper().createObjectNode();
        m.put("cores", Runtime.getRuntime().availableProcessors());
        m.put("memoryMiB", memTotalKb() / 1024);
        m.put("cpuModel", cpuModel());
        m.put("jdk", System.getProperty("java.vm.vendor") + " " + System.getProperty("java.runtime.version"));
        m.put("jvmMaxHeapMiB", Runtime.getRuntime().maxMemory() / (1024 * 1024));
        m.put("kafka", AppInfoParser.getVersion());
        m.put("os", System.getProperty("os.name") + " " + System.getProperty("os.version"));
        return m;
    }

    /** The 1, 5 and 15 minute load averages, or an empty array where /proc/loadavg is missing. */
    public static double[] loadAverage() {
        try {
            String[] parts = Files.readString(Path.of("/proc/loadavg")).trim().split("\\s+");
            return new double[] {Double.parseDouble(parts[0]), Double.parseDouble(parts[1]),
                Double.parseDouble(parts[2])};
        } catch (IOException | RuntimeException e) {
            double one = ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
            return one < 0 ? new double[0] : new double[] {one};
        }
    }

    /** Resident set size of this process in KiB ({@code VmRSS}), or -1 off Linux. */
    public static long selfRssKb() {
        return statusKb(Path.of("/proc/self/status"), "VmRSS:");
    }

    /** Peak resident set size of this process in KiB ({@code VmHWM}), or -1 off Linux. */
    public static long selfPeakRssKb() {
        return statusKb(Path.of("/proc/self/status"), "VmHWM:");
    }

    /** A field of {@code /proc/<pid>/status} in KiB, or -1. */
    public static long processStatusKb(long pid, String field) {
        return statusKb(Path.of("/proc/" + pid + "/status"), field);
    }

    /** CPU time the whole process has used so far, in ns, or -1. */
    public static long processCpuNanos() {
        if (ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os) {
            return os.getProcessCpuTime();
        }
        return -1;
    }

    /** Total size of the regular files under {@code dir}, in bytes (0 when it does not exist). */
    public static long directorySize(Path dir) {
        if (dir == null || !Files.exists(dir)) {
            return 0;
        }
        try (Stream<Path> files = Files.walk(dir)) {
            return files.filter(Files::isRegularFile).mapToLong(p -> {
                try {
                    return Files.size(p);
                } catch (IOException e) {
                    return 0; // deleted while walking (RocksDB compaction)
                }
            }).sum();
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }

    private static long statusKb(Path status, String field) {
        try {
            List<String> lines = Files.readAllLines(status);
            for (String line : lines) {
                if (line.startsWith(field)) {
                    return Long.parseLong(line.substring(field.length()).trim().split("\\s+")[0]);
                }
            }
        } catch (IOException | RuntimeException e) {
            return -1;
        }
        return -1;
    }

    private static long memTotalKb() {
        return statusKb(Path.of("/proc/meminfo"), "MemTotal:");
    }

    private static String cpuModel() {
        try (Stream<String> lines = Files.lines(Path.of("/proc/cpuinfo"))) {
            return lines.filter(l -> l.startsWith("model name")).findFirst()
                    .map(l -> l.substring(l.indexOf(':') + 1).trim()).orElse("unknown");
        } catch (IOException | RuntimeException e) {
            return System.getProperty("os.arch");
        }
    }
}
