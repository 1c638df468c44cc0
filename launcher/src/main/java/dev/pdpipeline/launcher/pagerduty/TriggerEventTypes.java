package dev.pdpipeline.launcher.pagerduty;

import dev.pdpipeline.common.trigger.Trigger;
import dev.pdpipeline.common.trigger.TriggerLoader;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The event types a new webhook subscription needs: the union of the Triggers' {@code event_types}.
 * A Trigger without {@code event_types} takes every incident event, so then every V3 incident
 * event type is subscribed.
 */
final class TriggerEventTypes {

    /** PagerDuty's V3 incident event types (its webhook documentation's list). */
    static final List<String> INCIDENT_EVENT_TYPES = List.of(
            "incident.acknowledged", "incident.annotated", "incident.conference_bridge.updated",
            "incident.custom_field_values.updated", "incident.delegated", "incident.escalated",
            "incident.incident_type.changed", "incident.priority_updated", "incident.reassigned", "incident.reopened",
            "incident.resolved", "incident.responder.added", "incident.responder.replied", "incident.role.assigned",
            "incident.service_updated", "incident.status_update_published", "incident.task.completed",
            "incident.task.created", "incident.task.updated", "incident.triggered", "incident.unacknowledged",
            "incident.action_invocation.created", "incident.action_invocation.terminated",
            "incident.action_invocation.updated", "incident.workflow.started", "incident.workflow.completed");

    private static final Pattern REFERENCE = Pattern.compile("(?<!\\$)\\$\\{([A-Za-z_][A-Za-z0-9_]*)(:-[^}]*)?}");

    private TriggerEventTypes() {
    }

    /**
     * The union of the event types of the Trigger files at {@code path}. Variables the files need
     * but the environment lacks (typically the webhook secret, which does not exist before the
     * subscription) get a placeholder: only the event types are read.
     */
    static List<String> union(Path path, Map<String, String> env) {
        Map<String, String> withPlaceholders = new HashMap<>(env);
        for (String variable : references(path)) {
            withPlaceholders.putIfAbsent(variable, "placeholder-for-" + variable.toLowerCase(java.util.Locale.ROOT));
        }
        List<Trigger> triggers = new TriggerLoader(withPlaceholders).load(path).triggers();
        TreeSet<String> types = new TreeSet<>();
        for (Trigger t : triggers) {
            if (t.eventTypes().isEmpty()) {
                return INCIDENT_EVENT_TYPES;
            }
            types.addAll(t.eventTypes());
        }
        return List.copyOf(types);
    }

    private static TreeSet<String> references(Path path) {
        TreeSet<String> names = new TreeSet<>();
        try (Stream<Path> files = Files.isDirectory(path) ? Files.list(path) : Stream.of(path)) {
            for (Path file : files.filter(Files::isRegularFile).toList()) {
                String text = Files.readString(file);
                Matcher m = REFERENCE.matcher(text);
                while (m.find()) {
                    if (m.group(2) == null) {
                        names.add(m.group(1));
                    }
                }
            }
        } catch (IOException e) {
            // the loader reports unreadable files with their name
        }
        return names;
    }
}
