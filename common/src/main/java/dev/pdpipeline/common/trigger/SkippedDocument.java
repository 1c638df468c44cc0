package dev.pdpipeline.common.trigger;

import java.nio.file.Path;
import java.util.Objects;

/**
 * A YAML document of a Trigger file that the loader did not load, with why: the pipeline never
 * drops a document silently ({@code triggers validate} lists these, the services log them).
 *
 * @param file       the file
 * @param index      1-based position of the document in the file
 * @param apiVersion its {@code apiVersion}, or null
 * @param kind       its {@code kind}, or null
 * @param name       its {@code metadata.name}, or null
 * @param platform   its platform ({@code spec.platform.type} or {@code spec.type}), or null
 * @param reason     human text, e.g. "platform slack, not a PagerDuty Trigger"
 */
public record SkippedDocument(Path file, int index, String apiVersion, String kind, String name, String platform,
        String reason) {

    public SkippedDocument {
        Objects.requireNonNull(reason, "reason");
    }

    /** One line: {@code file (document 2): Agent 'x': skipped: not a Trigger}. */
    public String describe() {
        StringBuilder b = new StringBuilder();
        b.append(file).append(" (document ").append(index).append(")");
        if (kind != null || name != null) {
            b.append(": ").append(kind == null ? "?" : kind);
            if (name != null) {
                b.append(" '").append(name).append("'");
            }
        }
        return b.append(": skipped: ").append(reason).toString();
    }
}
