package dev.pdpipeline.console.index;

import java.util.List;

/**
 * Everything the console knows about one incident, in time order.
 *
 * @param events      every delivery of the incident, oldest first
 * @param requests    requests sent to agents (live and replayed)
 * @param results     the agents' results with what happened in PagerDuty
 * @param deadLetters dead letters of the incident (raw and results)
 */
public record IncidentView(String id, Long number, String title, String htmlUrl, String serviceId,
        String serviceName, List<Delivery> events, List<RequestEntry> requests, List<AgentResultEntry> results,
        List<DeadLetter> deadLetters) {
}
