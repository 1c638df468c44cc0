package dev.pdpipeline.console.index;

/**
 * A request sent to an agent: from the decisions record (live routing) and the request log
 * (live and replays).
 */
public record RequestEntry(String requestId, String trigger, String agent, String topic, String eventId,
        boolean replay, boolean writeBack, String routedAt) {
}
