package dev.pdpipeline.common.trigger;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.LinkedHashSet;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * One loaded, validated and env-substituted AOF PagerDuty Trigger, of either of AOF's schemas:
 * {@code aof.sh/v1} ({@code spec.platform.type: pagerduty}, one {@code spec.agent}) or
 * {@code aof.dev/v1} ({@code spec.type: PagerDuty}, a {@code commands} map from event type to an
 * agent, flow or fleet, and a {@code default_agent}). Both load into this one model; where an event
 * goes is {@link #routeFor(String)}. Immutable. The formats and their mapping are described in
 * docs/triggers.md; how the filters match is in docs/trigger-semantics.md.
 *
 * @param name            {@code metadata.name}, unique in a {@link TriggerSet}
 * @param namespace       {@code metadata.namespace}, or null
 * @param source          the file it came from (null when built in code)
 * @param agent           {@code spec.agent} for aof.sh/v1. For aof.dev/v1 a display name only: the
 *                        {@code default_agent}, else the first command's target name; route with
 *                        {@link #routeFor(String)}, never with this
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
 * @param apiVersion      {@value #AOF_SH_V1} or {@value #AOF_DEV_V1}
 * @param commands        aof.dev/v1 {@code spec.commands}: event type to target, in file order; empty for aof.sh/v1
 * @param defaultAgent    aof.dev/v1 {@code spec.default_agent}, or null; always null for aof.sh/v1
 * @param notUsed         fields present in the file that this pipeline accepts but does not use, each as
 *                        {@code "<field path>: <why>"}; shown by {@code triggers validate}
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
        JsonNode parameters,
        String apiVersion,
        Map<String, Target> commands,
        String defaultAgent,
        List<String> notUsed) {

    /** AOF's default {@code bot_name}. */
    public static final String DEFAULT_BOT_NAME = "aofbot";
    /** AOF's first Trigger schema: {@code spec.platform.type: pagerduty} and one {@code spec.agent}. */
    public static final String AOF_SH_V1 = "aof.sh/v1";
    /** AOF's newer Trigger schema: {@code spec.type: PagerDuty}, {@code commands}, {@code default_agent}. */
    public static final String AOF_DEV_V1 = "aof.dev/v1";

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
        apiVersion = apiVersion == null ? AOF_SH_V1 : apiVersion;
        if (!apiVersion.equals(AOF_SH_V1) && !apiVersion.equals(AOF_DEV_V1)) {
            throw new IllegalArgumentException("apiVersion must be " + AOF_SH_V1 + " or " + AOF_DEV_V1);
        }
        commands = commands == null ? Map.of() : Collections.unmodifiableMap(new LinkedHashMap<>(commands));
        if (apiVersion.equals(AOF_SH_V1) && (!commands.isEmpty() || defaultAgent != null)) {
            throw new IllegalArgumentException("an aof.sh/v1 trigger has neither commands nor default_agent");
        }
        notUsed = notUsed == null ? List.of() : List.copyOf(notUsed);
        if (parameters == null || parameters.isNull() || parameters.isMissingNode()) {
            parameters = JsonNodeFactory.instance.objectNode();
        } else if (!parameters.isObject()) {
            throw new IllegalArgumentException("parameters must be an object node");
        } else {
            parameters = parameters.deepCopy();
        }
    }

    /** An {@code aof.sh/v1} trigger as built before aof.dev/v1 support: one agent for every event type. */
    public Trigger(String name, String namespace, Path source, String agent, boolean enabled, String webhookSecret,
            String apiToken, String botName, String fromEmail, List<String> eventTypes, List<String> allowedServices,
            List<String> allowedTeams, Priority minPriority, Urgency minUrgency, Map<String, List<String>> filter,
            JsonNode parameters) {
        this(name, namespace, source, agent, enabled, webhookSecret, apiToken, botName, fromEmail, eventTypes,
                allowedServices, allowedTeams, minPriority, minUrgency, filter, parameters, AOF_SH_V1, null, null,
                null);
    }

    /** Whether this trigger was written in AOF's newer {@code aof.dev/v1} schema. */
    public boolean isAofDev() {
        return AOF_DEV_V1.equals(apiVersion);
    }

    /**
     * Where an event of this type goes, and which field decided: aof.sh/v1 sends every type to
     * {@code spec.agent}; aof.dev/v1 to the command of that event type, else to {@code default_agent},
     * else nowhere (empty). Filters are not applied here; see the processor's TriggerMatcher.
     */
    public Optional<Route> routeFor(String eventType) {
        if (!isAofDev()) {
            return Optional.of(new Route(Target.agent(agent), Route.AGENT));
        }
        Target command = eventType == null ? null : commands.get(eventType);
        if (command != null) {
            return Optional.of(new Route(command, Route.COMMANDS_PREFIX + eventType));
        }
        return defaultAgent == null ? Optional.empty()
                : Optional.of(new Route(Target.agent(defaultAgent), Route.DEFAULT_AGENT));
    }

    /** {@link #routeFor(String)} without the deciding field. */
    public Optional<Target> targetFor(String eventType) {
        return routeFor(eventType).map(Route::target);
    }

    /** Every target this trigger can send to (its agent topics must exist), in file order. */
    public Set<Target> targets() {
        Set<Target> out = new LinkedHashSet<>();
        if (!isAofDev()) {
            out.add(Target.agent(agent));
            return Collections.unmodifiableSet(out);
        }
        out.addAll(commands.values());
        if (defaultAgent != null) {
            out.add(Target.agent(defaultAgent));
        }
        return Collections.unmodifiableSet(out);
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
                + ", apiVersion=" + apiVersion
                + ", commands=" + commands
                + ", defaultAgent=" + defaultAgent
                + "]";
    }
}
