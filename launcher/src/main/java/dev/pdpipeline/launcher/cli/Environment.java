package dev.pdpipeline.launcher.cli;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/**
 * The environment the commands read. {@code bin/pipeline} exports {@code PIPELINE_HOME} (the
 * repository) so that defaults such as the example Trigger folder work from any directory.
 */
public final class Environment {

    /** The repository root, set by {@code bin/pipeline}. */
    public static final String PIPELINE_HOME = "PIPELINE_HOME";

    private Environment() {
    }

    private static volatile Map<String, String> override;

    /** A mutable copy of the environment the commands read (the process environment by default). */
    public static Map<String, String> current() {
        Map<String, String> env = override;
        return new HashMap<>(env == null ? System.getenv() : env);
    }

    /**
     * Replaces the process environment for the commands of this JVM; {@code null} restores it.
     * For tests and embedding, since a JVM cannot change its own environment.
     */
    public static void override(Map<String, String> env) {
        override = env == null ? null : Map.copyOf(env);
    }

    /** The repository root: {@code PIPELINE_HOME}, else the working directory. */
    public static Path home(Map<String, String> env) {
        String home = env.get(PIPELINE_HOME);
        return (home == null || home.isBlank() ? Path.of("") : Path.of(home)).toAbsolutePath().normalize();
    }
}
