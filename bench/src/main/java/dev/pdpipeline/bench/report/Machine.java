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

    /**
     * The machine-wide CPU counters of {@code /proc/stat}'s first line, in clock ticks. Two samples
     * say how busy the cores were over a run and how much time the hypervisor gave to other guests
     * (steal): a run on a host that is short of CPU shows it here, while its load average looks
     * like that of a quiet run.
     */
    public record CpuTicks(long busy, long idle, long steal) {

        /** Unknown (no {@code /proc/stat}): every share computed from it is -1. */
        public static final CpuTicks UNKNOWN = new CpuTicks(-1, -1, -1);

        /** Parses the {@code cpu ...} line: user nice system idle iowait irq softirq steal [guest ...]. */
        public static CpuTicks parse(String line) {
            String[] f = line.trim().split("\\s+");
            if (f.length < 9 || !f[0].equals("cpu")) {
                throw new IllegalArgumentException("not the aggregate cpu line of /proc/stat: " + line);
            }
            long user = Long.parseLong(f[1]);
            long nice = Long.parseLong(f[2]);
            long system = Long.parseLong(f[3]);
            long idle = Long.parseLong(f[4]) + Long.parseLong(f[5]);
            long irq = Long.parseLong(f[6]) + Long.parseLong(f[7]);
            long steal = Long.parseLong(f[8]);
            return new CpuTicks(user + nice + system + irq, idle, steal);
        }

        /** Now, or {@link #UNKNOWN} off Linux. */
        public static CpuTicks now() {
            try (Stream<String> lines = Files.lines(Path.of("/proc/stat"))) {
                return lines.findFirst().map(CpuTicks::parse).orElse(UNKNOWN);
            } catch (IOException | RuntimeException e) {
                return UNKNOWN;
            }
        }

        /** Percent of all CPU time from {@code start} to this sample that was busy, or -1. */
        public double busyPercentSince(CpuTicks start) {
            return share(busy - start.busy, start);
        }

        /** Percent of all CPU time from {@code start} to this sample that the hypervisor stole, or -1. */
        public double stealPercentSince(CpuTicks start) {
            return share(steal - start.steal, start);
        }

        private double share(long part, CpuTicks start) {
            if (this == UNKNOWN || start == UNKNOWN) {
                return -1;
            }
            long total = (busy + idle + steal) - (start.busy + start.idle + start.steal);
            return total <= 0 ? -1 : Math.round(1000.0 * part / total) / 10.0;
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
