package dev.pdpipeline.processor.envelope;

import dev.pdpipeline.common.event.EventMetadata;
import dev.pdpipeline.common.event.PagerDutyEvent;
import dev.pdpipeline.common.kafka.PipelineHeaders;
import dev.pdpipeline.common.trigger.Target;
import dev.pdpipeline.common.trigger.Trigger;
import dev.pdpipeline.processor.notes.RequestLogRecord;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Objects;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;

/**
 * Builds everything one routed (event, trigger, target) sends: the agent request (envelope, with its
 * {@code target}, and headers)
 * and its request-log record. The one builder used by the live processor and by replays, so a
 * replayed request differs from a live one only where a replay must (its id, {@code replay: true},
 * the {@code pdpipeline-replay-id} header and the write-back rule).
 */
public final class AgentRequests {

    /**
     * One request, ready to send.
     *
     * @param topic          the agent topic (or a replay's {@code --to-topic})
     * @param key            the raw record's key (incident id), so an incident's requests keep their order
     * @param body           the envelope as UTF-8 JSON
     * @param requestLogKey  key of the request-log record
     * @param requestLogValue value of the request-log record
     */
    public record Built(String topic, String requestId, byte[] key, byte[] body, Headers headers,
            byte[] requestLogKey, byte[] requestLogValue) {
        public Built {
            Objects.requireNonNull(topic, "topic");
            Objects.requireNonNull(requestId, "requestId");
            Objects.requireNonNull(body, "body");
            Objects.requireNonNull(headers, "headers");
        }
    }

    /**
     * A replay's distinguishing settings.
     *
     * @param replayId  the run's id, mixed into the request id and sent as a header
     * @param writeBack whether results answering the replayed requests may be written to PagerDuty
     */
    public record Replay(String replayId, boolean writeBack) {
        public Replay {
            Objects.requireNonNull(replayId, "replayId");
        }
    }

    private AgentRequests() {
    }

    /**
     * @param topic      the destination topic
     * @param target     the agent, flow or fleet the trigger routes this event to (the decision's
     *                   {@code target}); the envelope's {@code agent} and {@code target}, the request
     *                   log's agent
     * @param key        the raw record's key
     * @param rawHeaders the raw record's headers (webhook id and received-at are carried over)
     * @param now        the routing time
     * @param replay     null for live routing
     */
    public static Built build(String topic, Trigger trigger, Target target, PagerDutyEvent event, byte[] key,
            Headers rawHeaders, Instant now, Replay replay) {
        Objects.requireNonNull(topic, "topic");
        Objects.requireNonNull(trigger, "trigger");
        Objects.requireNonNull(target, "target");
        Objects.requireNonNull(event, "event");
        Objects.requireNonNull(rawHeaders, "rawHeaders");
        Objects.requireNonNull(now, "now");
        EventMetadata md = event.metadata();
        String requestId = replay == null ? AgentRequestEnvelope.requestId(md.eventId(), trigger.name())
                : AgentRequestEnvelope.replayRequestId(md.eventId(), trigger.name(), replay.replayId());
        String webhookId = PipelineHeaders.text(rawHeaders, PipelineHeaders.WEBHOOK_ID);
        String receivedAt = PipelineHeaders.text(rawHeaders, PipelineHeaders.RECEIVED_AT);
        byte[] body = AgentRequestEnvelope.write(trigger, target, event, webhookId, receivedAt, now, replay != null,
                requestId);
        Headers headers = new RecordHeaders();
        copy(rawHeaders, headers, PipelineHeaders.WEBHOOK_ID);
        copy(rawHeaders, headers, PipelineHeaders.RECEIVED_AT);
        headers.add(AgentRequestHeaders.TRIGGER, utf8(trigger.name()));
        headers.add(AgentRequestHeaders.REQUEST_ID, utf8(requestId));
        headers.add(AgentRequestHeaders.SCHEMA_VERSION, utf8(String.valueOf(AgentRequestEnvelope.SCHEMA_VERSION)));
        if (replay != null) {
            headers.add(PipelineHeaders.REPLAY_ID, utf8(replay.replayId()));
        }
        byte[] logValue = RequestLogRecord.toJson(requestId, trigger.name(), target.name(), md.incidentId(), md.eventId(),
                replay != null, replay == null || replay.writeBack(), now);
        return new Built(topic, requestId, key, body, headers, RequestLogRecord.key(requestId), logValue);
    }

    private static void copy(Headers from, Headers to, String name) {
        Header h = from.lastHeader(name);
        if (h != null && h.value() != null) {
            to.add(name, h.value());
        }
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
