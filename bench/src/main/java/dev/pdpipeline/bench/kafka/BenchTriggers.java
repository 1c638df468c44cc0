package dev.pdpipeline.bench.kafka;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Trigger files for the benchmarks, written in AOF's aof.sh/v1 format like a user's. Secrets are
 * referenced as {@code ${VAR}} and passed through the environment map, never written to disk.
 */
public final class BenchTriggers {

    /** The environment variable prefix holding secret {@code i}: {@code BENCH_SECRET_<i>}. */
    public static final String SECRET_VAR = "BENCH_SECRET_";

    private BenchTriggers() {
    }

    /** One trigger: name, agent, which secret variable, event types, optional min priority. */
    public record Spec(String name, String agent, int secret, List<String> eventTypes, String minPriority) {
    }

    /** Writes {@code triggers.yaml} into {@code dir} and returns the directory. */
    public static Path write(Path dir, List<Spec> specs) {
        StringBuilder yaml = new StringBuilder();
        for (Spec s : specs) {
            if (yaml.length() > 0) {
                yaml.append("---\n");
            }
            yaml.append("apiVersion: aof.sh/v1\nkind: Trigger\nmetadata:\n  name: ").append(s.name())
                    .append("\nspec:\n  platform:\n    type: pagerduty\n    config:\n")
                    .append("      webhook_secret: ${").append(SECRET_VAR).append(s.secret()).append("}\n")
                    .append("      api_token: ${BENCH_API_TOKEN:-}\n")
                    .append("      bot_name: bench-bot\n")
                    .append("      event_types:\n");
            s.eventTypes().forEach(t -> yaml.append("        - ").append(t).append('\n'));
            if (s.minPriority() != null) {
                yaml.append("      min_priority: \"").append(s.minPriority()).append("\"\n");
            }
            yaml.append("  agent: ").append(s.agent()).append("\n  enabled: true\n");
        }
        try {
            Files.createDirectories(dir);
            Files.writeString(dir.resolve("triggers.yaml"), yaml.toString());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the benchmark triggers to " + dir, e);
        }
        return dir;
    }
}
