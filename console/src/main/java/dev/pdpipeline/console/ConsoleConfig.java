package dev.pdpipeline.console;

import dev.pdpipeline.common.config.KafkaClientProperties;
import dev.pdpipeline.common.topics.TopicCatalogue;
import java.nio.file.Path;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigException;

/**
 * The console's settings, from the environment; validated at start so a bad value stops it with
 * the variable's name.
 *
 * @param adminToken {@code CONSOLE_ADMIN_TOKEN}, or null: actions are disabled. Never logged or rendered.
 * @param triggersPath {@code TRIGGERS_PATH}, or null: the triggers page says none are loaded
 * @param defaultApiTokenSet whether {@code PAGERDUTY_API_TOKEN} is set (results of triggers without
 *                           their own token are then written, not dry runs)
 */
public record ConsoleConfig(String host, int port, String adminToken, int maxDeliveries, int maxIncidents,
        int maxDeadLetters, Path triggersPath, TopicCatalogue topics, Properties kafka, boolean defaultApiTokenSet,
        Map<String, String> environment) {

    public static final String CONSOLE_HOST = "CONSOLE_HOST";
    public static final String CONSOLE_PORT = "CONSOLE_PORT";
    public static final String CONSOLE_ADMIN_TOKEN = "CONSOLE_ADMIN_TOKEN";
    public static final String CONSOLE_MAX_DELIVERIES = "CONSOLE_MAX_DELIVERIES";
    public static final String CONSOLE_MAX_INCIDENTS = "CONSOLE_MAX_INCIDENTS";
    public static final String CONSOLE_MAX_DEAD_LETTERS = "CONSOLE_MAX_DEAD_LETTERS";
    public static final String TRIGGERS_PATH = "TRIGGERS_PATH";

    /** Loopback only, unless told otherwise: the console shows incident data. */
    public static final String DEFAULT_HOST = "127.0.0.1";
    public static final int DEFAULT_PORT = 8090;
    public static final int DEFAULT_MAX_DELIVERIES = 100_000;
    public static final int DEFAULT_MAX_INCIDENTS = 50_000;
    public static final int DEFAULT_MAX_DEAD_LETTERS = 10_000;

    /**
     * The variables the console reads, with their defaults and documentation (what
     * {@link #fromEnv} validates); the compose checks and the configuration reference read it.
     */
    public static ConfigDef configDef() {
        return new ConfigDef()
                .define(CONSOLE_HOST, ConfigDef.Type.STRING, DEFAULT_HOST, ConfigDef.Importance.HIGH,
                        "Interface the console binds; loopback unless told otherwise (it shows incident data).")
                .define(CONSOLE_PORT, ConfigDef.Type.INT, DEFAULT_PORT, ConfigDef.Range.between(0, 65535),
                        ConfigDef.Importance.HIGH, "The console's port (pages, /api, /health/live, /health/ready); 0 = a free one.")
                .define(CONSOLE_ADMIN_TOKEN, ConfigDef.Type.PASSWORD, null, ConfigDef.Importance.HIGH,
                        "Bearer token of the replay and re-drive actions, at least 16 characters; unset: actions disabled.")
                .define(CONSOLE_MAX_DELIVERIES, ConfigDef.Type.INT, DEFAULT_MAX_DELIVERIES, ConfigDef.Range.between(1, 10_000_000),
                        ConfigDef.Importance.MEDIUM, "Deliveries the console's index keeps.")
                .define(CONSOLE_MAX_INCIDENTS, ConfigDef.Type.INT, DEFAULT_MAX_INCIDENTS, ConfigDef.Range.between(1, 10_000_000),
                        ConfigDef.Importance.MEDIUM, "Incidents the index keeps.")
                .define(CONSOLE_MAX_DEAD_LETTERS, ConfigDef.Type.INT, DEFAULT_MAX_DEAD_LETTERS,
                        ConfigDef.Range.between(1, 1_000_000), ConfigDef.Importance.MEDIUM, "Dead letters the index keeps.")
                .define(TRIGGERS_PATH, ConfigDef.Type.STRING, null, ConfigDef.Importance.MEDIUM,
                        "Trigger file or folder: the triggers page, and the Triggers replay uses; unset: none loaded.")
                .define("PAGERDUTY_API_TOKEN", ConfigDef.Type.PASSWORD, null, ConfigDef.Importance.LOW,
                        "Only whether it is set: results of Triggers without their own token are written, not dry runs.");
    }

    public ConsoleConfig {
        environment = Map.copyOf(environment);
    }

    public boolean actionsEnabled() {
        return adminToken != null;
    }

    public static ConsoleConfig fromEnv(Map<String, String> env) {
        String host = value(env, CONSOLE_HOST, DEFAULT_HOST);
        int port = intValue(env, CONSOLE_PORT, DEFAULT_PORT, 0, 65535);
        String token = env.get(CONSOLE_ADMIN_TOKEN);
        if (token != null && token.isBlank()) {
            token = null;
        } else if (token != null && token.trim().length() < 16) {
            // no value in the message: it is a secret
            throw new ConfigException(CONSOLE_ADMIN_TOKEN + " must be at least 16 characters (e.g. openssl rand -hex 32)");
        }
        String triggers = env.get(TRIGGERS_PATH);
        String apiToken = env.get("PAGERDUTY_API_TOKEN");
        return new ConsoleConfig(host, port, token == null ? null : token.trim(),
                intValue(env, CONSOLE_MAX_DELIVERIES, DEFAULT_MAX_DELIVERIES, 1, 10_000_000),
                intValue(env, CONSOLE_MAX_INCIDENTS, DEFAULT_MAX_INCIDENTS, 1, 10_000_000),
                intValue(env, CONSOLE_MAX_DEAD_LETTERS, DEFAULT_MAX_DEAD_LETTERS, 1, 1_000_000),
                triggers == null || triggers.isBlank() ? null : Path.of(triggers.trim()),
                topics(env), KafkaClientProperties.fromEnv(env), apiToken != null && !apiToken.isBlank(), env);
    }

    private static TopicCatalogue topics(Map<String, String> env) {
        try {
            return TopicCatalogue.fromEnv(env);
        } catch (IllegalArgumentException e) {
            throw new ConfigException(e.getMessage());
        }
    }

    private static String value(Map<String, String> env, String name, String fallback) {
        String v = env.get(name);
        return v == null || v.isBlank() ? fallback : v.trim();
    }

    private static int intValue(Map<String, String> env, String name, int fallback, int min, int max) {
        String v = env.get(name);
        if (v == null || v.isBlank()) {
            return fallback;
        }
        try {
            int i = Integer.parseInt(v.trim());
            if (i < min || i > max) {
                throw new ConfigException(name, v, "must be between " + min + " and " + max);
            }
            return i;
        } catch (NumberFormatException e) {
            throw new ConfigException(name, v, "must be a whole number");
        }
    }

    /** Masks the admin token. */
    @Override
    public String toString() {
        return "ConsoleConfig[host=" + host + ", port=" + port + ", adminToken=" + (adminToken == null ? "unset" : "****")
                + ", maxDeliveries=" + maxDeliveries + ", maxIncidents=" + maxIncidents + ", maxDeadLetters="
                + maxDeadLetters + ", triggersPath=" + triggersPath + ", topics=" + topics + "]";
    }
}
