package dev.pdpipeline.bench.report;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.pdpipeline.common.json.Json;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * One scenario's result: a table for the terminal and a JSON document with the machine, the load
 * average at start and end, the parameters, every measured row and the ratios to the limits.
 */
public final class Report {

    private static final DateTimeFormatter FILE_TIME =
            DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss").withZone(ZoneOffset.UTC);

    private final String scenario;
    private final Instant startedAt = Instant.now();
    private final double[] loadAtStart = Machine.loadAverage();
    private final Machine.CpuTicks cpuAtStart = Machine.CpuTicks.now();
    private final ObjectNode root = Json.mapper().createObjectNode();
    private final ObjectNode parameters = Json.mapper().createObjectNode();
    private final ArrayNode rows = Json.mapper().createArrayNode();
    private final ObjectNode ratios = Json.mapper().createObjectNode();
    private final ArrayNode notes = Json.mapper().createArrayNode();
    private final List<String> columns;
    private final List<List<String>> table = new ArrayList<>();

    public Report(String scenario, List<String> columns) {
        this.scenario = Objects.requireNonNull(scenario, "scenario");
        this.columns = List.copyOf(columns);
    }

    public ObjectNode parameters() {
        return parameters;
    }

    /** Adds a measured row: the JSON object, and its cells for the table (same order as the columns). */
    public void row(ObjectNode json, Object... cells) {
        rows.add(json);
        List<String> line = new ArrayList<>();
        for (Object c : cells) {
            line.add(c instanceof Double d ? String.format("%.2f", d) : String.valueOf(c));
        }
        table.add(line);
    }

    /** A ratio to a limit, with the target it is judged against ({@code null} target: informative). */
    public void ratio(String name, double value, Double target, String meaning) {
        ObjectNode r = ratios.putObject(name);
        r.put("value", Math.round(value * 1000) / 1000.0);
        if (target != null) {
            r.put("target", target);
            r.put("met", value >= target);
        }
        r.put("meaning", meaning);
    }

    /** A check with an upper bound (e.g. a latency target). */
    public void bound(String name, double value, double max, String meaning) {
        ObjectNode r = ratios.putObject(name);
        r.put("value", Latency.round(value));
        r.put("max", max);
        r.put("met", value <= max);
        r.put("meaning", meaning);
    }

    public void note(String text) {
        notes.add(text);
    }

    public ObjectNode json() {
        root.put("scenario", scenario);
        root.put("startedAt", startedAt.toString());
        root.put("finishedAt", Instant.now().toString());
        root.set("machine", Machine.describe());
        ObjectNode broker = dev.pdpipeline.bench.kafka.BenchKafka.lastRun();
        if (broker != null && !Instant.parse(broker.path("startedAt").asText()).isBefore(startedAt)) {
            root.set("broker", broker);
        }
        ObjectNode load = root.putObject("loadAverage");
        load.set("start", toArray(loadAtStart));
        load.set("end", toArray(Machine.loadAverage()));
        Machine.CpuTicks cpuAtEnd = Machine.CpuTicks.now();
        ObjectNode cpu = root.putObject("cpu");
        cpu.put("busyPercent", cpuAtEnd.busyPercentSince(cpuAtStart));
        cpu.put("stealPercent", cpuAtEnd.stealPercentSince(cpuAtStart));
        root.set("parameters", parameters);
        root.set("rows", rows);
        root.set("ratios", ratios);
        root.set("notes", notes);
        return root;
    }

    /** Prints the table and writes {@code <dir>/<scenario>-<timestamp>.json}; returns the file. */
    public Path finish(Path dir, PrintStream out) {
        ObjectNode json = json();
        try {
            Files.createDirectories(dir);
            Path file = dir.resolve(scenario + "-" + FILE_TIME.format(startedAt) + ".json");
            Files.writeString(file, Json.mapper().writerWithDefaultPrettyPrinter().writeValueAsString(json));
            printTable(out);
            out.println();
            ratios.fields().forEachRemaining(e -> out.printf("  %-34s %s%n", e.getKey(), e.getValue()));
            notes.forEach(n -> out.println("  note: " + n.asText()));
            out.printf("  load average: start %s, end %s%n", json.path("loadAverage").path("start"),
                    json.path("loadAverage").path("end"));
            out.printf("  cpu over the run: busy %s %%, stolen by the hypervisor %s %% (-1: unknown)%n",
                    json.path("cpu").path("busyPercent"), json.path("cpu").path("stealPercent"));
            out.println("  written: " + file);
            return file;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the result to " + dir, e);
        }
    }

    private void printTable(PrintStream out) {
        int[] width = new int[columns.size()];
        for (int i = 0; i < columns.size(); i++) {
            width[i] = columns.get(i).length();
            for (List<String> line : table) {
                if (i < line.size()) {
                    width[i] = Math.max(width[i], line.get(i).length());
                }
            }
        }
        out.println("== " + scenario + " ==");
        StringBuilder header = new StringBuilder();
        StringBuilder rule = new StringBuilder();
        for (int i = 0; i < columns.size(); i++) {
            header.append(String.format("%-" + width[i] + "s  ", columns.get(i)));
            rule.append("-".repeat(width[i])).append("  ");
        }
        out.println(header.toString().stripTrailing());
        out.println(rule.toString().stripTrailing());
        for (List<String> line : table) {
            StringBuilder b = new StringBuilder();
            for (int i = 0; i < columns.size(); i++) {
                String cell = i < line.size() ? line.get(i) : "";
                b.append(String.format("%" + (i == 0 ? "-" : "") + width[i] + "s  ", cell));
            }
            out.println(b.toString().stripTrailing());
        }
    }

    private static ArrayNode toArray(double[] values) {
        ArrayNode a = Json.mapper().createArrayNode();
        for (double v : values) {
            a.add(v);
        }
        return a;
    }
}
