package dev.pdpipeline.console.web;

import dev.pdpipeline.console.index.DeadLetter;
import dev.pdpipeline.console.index.Delivery;
import dev.pdpipeline.console.index.DeliveryFilter;
import dev.pdpipeline.console.index.IncidentView;
import java.util.List;
import java.util.Map;

/** The models the templates render; the same data the JSON API returns. */
public final class Pages {

    private Pages() {
    }

    public record DeliveriesPage(List<Delivery> deliveries, DeliveryFilter filter, Map<String, List<String>> facets,
            Chart chart, Map<String, Long> index, String generatedAt) {
    }

    public record IncidentPage(IncidentView incident, List<String> triggers, boolean actionsEnabled) {
    }

    public record DeadLettersPage(List<DeadLetter> deadLetters, String rawTopic, String resultsTopic,
            boolean actionsEnabled) {
    }

    public record TriggersPage(List<TriggerRow> triggers, String path, String error) {
    }

    /**
     * One Trigger in force, secrets masked.
     *
     * @param secret         always {@code ****}
     * @param apiToken       {@code ****} when the trigger has one, else null
     */
    public record TriggerRow(String name, String namespace, String source, String agent, boolean enabled,
            String secret, String secretFingerprint, String apiToken, String botName, List<String> eventTypes,
            List<String> allowedServices, List<String> allowedTeams, String minPriority, String minUrgency,
            Map<String, List<String>> filter, long routed, long rejected, long duplicate) {
    }

    public record ErrorPage(int status, String message) {
    }
}
