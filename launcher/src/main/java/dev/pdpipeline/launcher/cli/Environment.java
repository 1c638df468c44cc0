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

    /** A mutable copy of the process environment. */
    public static Map<String, String> current() {
        return new HashMap<>(System.getenv());
    }

    /** The repository root: {@code PIPELINE_HOME}, else the working directory. */
    public static Path home(Map<String, String> env) {
        String home = env.get(PIPELINE_HOME);
        return (home == null || home.isBlank() ? Path.of("") : Path.of(home)).toAbsolutePath().normalize();
    }
}
