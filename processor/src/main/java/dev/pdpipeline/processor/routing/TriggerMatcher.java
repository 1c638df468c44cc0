package dev.pdpipeline.processor.routing;

import dev.pdpipeline.common.event.EventMetadata;
import dev.pdpipeline.common.trigger.Priority;
import dev.pdpipeline.common.trigger.Route;
import dev.pdpipeline.common.trigger.Trigger;
import dev.pdpipeline.common.trigger.Urgency;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * Decides whether a Trigger's filters let an event through. Pure and stateless.
 *
 * <p>Filters are checked in a fixed order (event_types, commands, allowed_services, allowed_teams,
 * min_priority, min_urgency, then spec.filter in the order written) and the first rejection is
 * reported, so the same event and trigger always give the same explanation. Unlike AOF, an event
 * that lacks the field a filter needs fails that filter: a trigger that asks for P1 incidents
 * must not receive incidents of unknown priority. Ids match exactly, service and team names
 * case-insensitively (PagerDuty ids are case-sensitive, display names are typed by people).
 * Whether the trigger is enabled and which secret signed the delivery is the topology's
 * business. A match carries the target ({@link Trigger#routeFor}): the trigger's agent, or for
 * aof.dev/v1 the command of the event type or the default_agent; an aof.dev/v1 trigger with neither
 * for the event type rejects it on {@code commands}. Rejection reasons use the field names of the
 * trigger's own schema ({@code events}, {@code service_ids} for aof.dev/v1); the {@code field} is the
 * same for both schemas so metrics stay comparable. Semantics with examples: docs/trigger-semantics.md.
 */
public final class TriggerMatcher {

    static final String EVENT_TYPES = "event_types";
    static final String ALLOWED_SERVICES = "allowed_services";
    static final String ALLOWED_TEAMS = "allowed_teams";
    static final String MIN_PRIORITY = "min_priority";
    static final String MIN_URGENCY = "min_urgency";
    static final String FILTER_PREFIX = "filter.metadata.";
    static final String COMMANDS = "commands";

    private TriggerMatcher() {
    }

    public static Decision evaluate(Trigger trigger, EventMetadata metadata) {
        Objects.requireNonNull(trigger, "trigger");
        Objects.requireNonNull(metadata, "metadata");
        String name = trigger.name();
        Optional<Rejection> rejection = firstRejection(trigger, metadata);
        if (rejection.isPresent()) {
            return new Decision.Rejected(name, rejection.get().field, rejection.get().reason);
        }
        Route route = trigger.routeFor(metadata.eventType()).orElseThrow(); // checked by firstRejection
        return new Decision.Routed(name, route.target(), route.decidedBy());
    }

    private record Rejection(String field, String reason) {
    }

    private static Optional<Rejection> firstRejection(Trigger trigger, EventMetadata m) {
        List<String> eventTypes = orEmpty(trigger.eventTypes());
        boolean dev = trigger.isAofDev();
        if (!eventTypes.isEmpty() && !eventTypes.contains(m.eventType())) {
            return reject(EVENT_TYPES, "event type " + m.eventType() + " is not in " + (dev ? "events " : "event_types ")
                    + eventTypes);
        }
        if (trigger.routeFor(m.eventType()).isEmpty()) {
            return reject(COMMANDS, "no command for event type " + m.eventType() + " and no default_agent");
        }

        List<String> services = orEmpty(trigger.allowedServices());
        if (!services.isEmpty()) {
            if (m.serviceId() == null && m.serviceName() == null) {
                return reject(ALLOWED_SERVICES, "event carries no service (data.type " + m.dataType() + ")");
            }
            if (services.stream().noneMatch(s -> matchesService(s, m))) {
                return reject(ALLOWED_SERVICES, "service " + describe(m.serviceId(), m.serviceName())
                        + " is not in " + (dev ? "service_ids " : "allowed_services ") + services);
            }
        }

        List<String> teams = orEmpty(trigger.allowedTeams());
        if (!teams.isEmpty()) {
            if (orEmpty(m.teamIds()).isEmpty() && orEmpty(m.teamNames()).isEmpty()) {
                return reject(ALLOWED_TEAMS, "event carries no team (data.type " + m.dataType() + ")");
            }
            if (teams.stream().noneMatch(t -> matchesTeam(t, m))) {
                return reject(ALLOWED_TEAMS, "none of the teams " + orEmpty(m.teamIds()) + " "
                        + orEmpty(m.teamNames()) + " is in allowed_teams " + teams);
            }
        }

        Priority minPriority = trigger.minPriority();
        if (minPriority != null) {
            if (m.priority() == null) {
                return reject(MIN_PRIORITY, !carriesFullIncident(m)
                        ? "event carries no incident priority (data.type " + m.dataType() + ")"
                        : "incident has no priority");
            }
            Optional<Priority> priority = Priority.parse(m.priority());
            if (priority.isEmpty()) {
                return reject(MIN_PRIORITY, "priority " + m.priority() + " is not one of P1-P5");
            }
            if (!priority.get().isAtLeast(minPriority)) {
                return reject(MIN_PRIORITY, "priority " + priority.get() + " is below min_priority " + minPriority);
            }
        }

        Urgency minUrgency = trigger.minUrgency();
        if (minUrgency != null) {
            if (m.urgency() == null) {
                return reject(MIN_URGENCY, !carriesFullIncident(m)
                        ? "event carries no incident urgency (data.type " + m.dataType() + ")"
                        : "incident has no urgency");
            }
            Optional<Urgency> urgency = Urgency.parse(m.urgency());
            if (urgency.isEmpty()) {
                return reject(MIN_URGENCY, "urgency " + m.urgency() + " is neither high nor low");
            }
            if (!urgency.get().satisfies(minUrgency)) {
                return reject(MIN_URGENCY, "urgency " + lower(urgency.get()) + " is below min_urgency "
                        + lower(minUrgency));
            }
        }

        Map<String, List<String>> filter = trigger.filter() == null ? Map.of() : trigger.filter();
        for (Map.Entry<String, List<String>> entry : filter.entrySet()) {
            String field = entry.getKey();
            List<String> wanted = orEmpty(entry.getValue());
            if (wanted.isEmpty()) {
                continue;
            }
            List<String> actual = m.values(field);
            if (actual.isEmpty()) {
                return reject(FILTER_PREFIX + field, "event has no " + field);
            }
            if (wanted.stream().noneMatch(w -> matchesFilter(field, w, m))) {
                return reject(FILTER_PREFIX + field, field + " " + actual + " matches none of " + wanted);
            }
        }
        return Optional.empty();
    }

    private static boolean matchesFilter(String field, String wanted, EventMetadata m) {
        if (wanted == null) {
            return false;
        }
        switch (field) {
            case "service":
                return matchesService(wanted, m);
            case "team":
                return matchesTeam(wanted, m);
            case "service_name":
                return wanted.equalsIgnoreCase(m.serviceName());
            case "team_names":
                return orEmpty(m.teamNames()).stream().anyMatch(wanted::equalsIgnoreCase);
            default:
                return m.values(field).contains(wanted);
        }
    }

    /** An allowed service matches the service id exactly or its name ignoring case. */
    private static boolean matchesService(String allowed, EventMetadata m) {
        return allowed != null && (allowed.equals(m.serviceId()) || allowed.equalsIgnoreCase(m.serviceName()));
    }

    /** An allowed team matches any team id exactly or any team name ignoring case. */
    private static boolean matchesTeam(String allowed, EventMetadata m) {
        return allowed != null && (orEmpty(m.teamIds()).contains(allowed)
                || orEmpty(m.teamNames()).stream().anyMatch(allowed::equalsIgnoreCase));
    }

    /** Only {@code data.type incident} carries priority and urgency; other types only reference it. */
    private static boolean carriesFullIncident(EventMetadata m) {
        return "incident".equals(m.dataType());
    }

    private static Optional<Rejection> reject(String field, String reason) {
        return Optional.of(new Rejection(field, reason));
    }

    private static String describe(String id, String name) {
        if (id == null) {
            return "'" + name + "'";
        }
        return name == null ? id : id + " ('" + name + "')";
    }

    private static String lower(Enum<?> value) {
        return value.name().toLowerCase(Locale.ROOT);
    }

    private static <T> List<T> orEmpty(List<T> list) {
        return list == null ? List.of() : list;
    }
}
