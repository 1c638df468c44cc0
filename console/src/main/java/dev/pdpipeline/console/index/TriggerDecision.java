package dev.pdpipeline.console.index;

/**
 * What one Trigger decided about one raw event, as the processor recorded it on the decisions
 * topic. Text as recorded; rendering escapes it.
 *
 * @param decision   {@code routed}, {@code duplicate}, {@code disabled}, {@code rejected} or {@code not_signed}
 * @param field      for {@code rejected}: the filter that rejected the event
 * @param reason     human text
 * @param targetKind {@code agent}, {@code flow} or {@code fleet}
 * @param topic      for {@code routed}: the request topic
 * @param requestId  for {@code routed}: the request's id
 */
public record TriggerDecision(String trigger, String decision, String field, String reason, String targetKind,
        String targetName, String topic, String requestId) {

    public boolean routed() {
        return "routed".equals(decision);
    }
}
