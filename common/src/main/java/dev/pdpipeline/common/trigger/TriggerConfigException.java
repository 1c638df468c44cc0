package dev.pdpipeline.common.trigger;

import java.nio.file.Path;

/**
 * A Trigger file that cannot be used, with where and what: file, trigger name, field path.
 *
 * <p>The message is built only from those parts, which the loader fills with names and never with
 * the value of a field, so it is safe to log even when the broken field is a secret.
 */
public final class TriggerConfigException extends RuntimeException {

    private final transient Path file;
    private final String trigger;
    private final String field;
    private final String problem;

    /**
     * @param file    the file concerned, or null
     * @param trigger the trigger's {@code metadata.name}, or null when unknown
     * @param field   the field path such as {@code spec.platform.config.min_priority}, or null
     * @param problem what is wrong; must not contain secret values
     */
    public TriggerConfigException(Path file, String trigger, String field, String problem) {
        super(message(file, trigger, field, problem));
        this.file = file;
        this.trigger = trigger;
        this.field = field;
        this.problem = problem;
    }

    public Path file() {
        return file;
    }

    public String trigger() {
        return trigger;
    }

    public String field() {
        return field;
    }

    public String problem() {
        return problem;
    }

    private static String message(Path file, String trigger, String field, String problem) {
        StringBuilder b = new StringBuilder();
        if (file != null) {
            b.append(file);
        }
        if (trigger != null) {
            append(b, "trigger '" + trigger + "'");
        }
        if (field != null) {
            append(b, field);
        }
        if (problem != null) {
            append(b, problem);
        }
        return b.toString();
    }

    private static void append(StringBuilder b, String part) {
        if (b.length() > 0) {
            b.append(": ");
        }
        b.append(part);
    }
}
