package dev.pdpipeline.console.index;

/**
 * An agent's result (from the results topic) and what the notes writer did with it.
 *
 * @param pagerduty what happened in PagerDuty; filled in by the query, not stored
 */
public record AgentResultEntry(String requestId, String resultId, String incidentId, String agent, String note,
        String status, String publishedAt, String topic, int partition, long offset, PagerDutyOutcome pagerduty) {

    AgentResultEntry withOutcome(PagerDutyOutcome outcome) {
        return new AgentResultEntry(requestId, resultId, incidentId, agent, note, status, publishedAt, topic,
                partition, offset, outcome);
    }
}
