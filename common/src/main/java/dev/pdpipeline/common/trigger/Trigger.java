package dev.pdpipeline.common.trigger;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * One loaded, validated and env-substituted AOF {@code aof.sh/v1} Trigger of platform {@code pagerduty}.
 * Immutable. The format is described in docs/triggers.md; how the filters match is in
 * docs/trigger-semantics.md.
 *
 * @param name            {@code metadata.name}, unique in a {@link TriggerSet}
 * @param namespace       {@code metadata.namespace}, or null
 * @param source          the file it came from (null when built in code)
 * @param agent           {@code spec.agent}; a legal Kafka topic name fragment
 * @param enabled         {@code spec.enabled}, default true
 * @param webhookSecret   {@code spec.platform.config.webhook_secret}; never log it
 * @param apiToken        {@code spec.platform.config.api_token}, or null; never log it
 * @param botName         {@code spec.platform.config.bot_name}, default {@value #DEFAULT_BOT_NAME}
 * @param fromEmail       {@code spec.platform.config.from_email} (our extension), or null
 * @param eventTypes      {@code spec.platform.config.event_types}; empty means every type
 * @param allowedServices {@code spec.platform.config.allowed_services}; empty means no filter
 * @param allowedTeams    {@code spec.platform.config.allowed_teams}; empty means no filter
 * @param minPriority     {@code spec.platform.config.min_priority}, or null
 * @param minUrgency      {@code spec.platform.config.min_urgency}, or null
 * @param filter          {@code spec.filter}, keyed by field name without the {@code metadata.} prefix
 * @param parameters      {@code spec.parameters} as an object node (empty when absent), types kept
 */
public record Trigger(
        String name,
        String namespace,
        Path source,
        String agent,
        boolean enabled,
        String webhookSecret,
        String apiToken,
        String botName,
        String fromEmail,
        List<String> eventTypes,
        List<String> allowedServices,
        List<String> allowedTeams,
        Priority minPriority,
        Urgency minUrgency,
        Map<String, List<String>> filter,
        JsonNode parameters) {

    /** AOF's default {@code bot_name}. */
    public static final String DEFAULT_BOT_NAME = "aofbot";

    private static final String MASK = "****";

    public Trigger {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(agent, "agent");
        Objects.requireNonNull(webhookSecret, "webhookSecret");
        botName = botName == null ? DEFAULT_BOT_NAME : botName;
        eventTypes = eventTypes == null ? List.of() : List.copyOf(eventTypes);
        allowedServices = allowedServices == null ? List.of() : List.copyOf(allowedServices);
        allowedTeams = allowedTeams == null ? List.of() : List.copyOf(allowedTeams);
        Map<String, List<String>> f = new LinkedHashMap<>();
        if (filter != null) {
            filter.forEach((k, v) -> f.put(Objects.requireNonNull(k, "filter key"), List.copyOf(v)));
        }
        filter = Collections.unmodifiableMap(f);
        if (parameters == null || parameters.isNull() || parameters.isMissingNode()) {
            parameters = JsonNodeFactory.instance.objectNode();
        } else if (!parameters.isObject()) {
            throw new IllegalArgumentException("parameters must be an object node");
        } else {
            parameters = parameters.deepCopy();
        }
    }

    /** A copy of {@code spec.parameters} (Jackson nodes are mutable; the trigger stays immutable). */
    @Override
    public JsonNode parameters() {
        return parameters.deepCopy();
    }

    /** {@link SecretFingerprint} of the webhook secret: safe to log and to put in Kafka headers. */
    public String secretFingerprint() {
        return SecretFingerprint.of(webhookSecret);
    }

    /** Masks the webhook secret and API token, shows the secret's fingerprint instead. */
    @Override
    public String toString() {
        return "Trigger[name=" + name
                + ", namespace=" + namespace
                + ", source=" + source
                + ", agent=" + agent
                + ", enabled=" + enabled
                + ", webhookSecret=" + MASK
                + ", secretFingerprint=" + secretFingerprint()
                + ", apiToken=" + (apiToken == null ? "null" : MASK)
                + ", botName=" + botName
                + ", fromEmail=" + fromEmail
                + ", eventTypes=" + eventTypes
                + ", allowedServices=" + allowedServices
                + ", allowedTeams=" + allowedTeams
                + ", minPriority=" + minPriority
                + ", minUrgency=" + minUrgency
                + ", filter=" + filter
                + ", parameters=" + parameters
                + "]";
    }
}
