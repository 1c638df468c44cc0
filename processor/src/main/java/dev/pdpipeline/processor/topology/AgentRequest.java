package dev.pdpipeline.processor.topology;

import java.util.Objects;
import org.apache.kafka.common.serialization.Serializer;

/**
 * A routed request on its way to the sink: the agent topic it goes to and the envelope bytes.
 * Carrying the topic in the value lets one dynamic sink serve every agent without an extra header.
 */
record AgentRequest(String topic, byte[] body) {

    AgentRequest {
        Objects.requireNonNull(topic, "topic");
        Objects.requireNonNull(body, "body");
    }

    /** Writes only the envelope bytes; the topic was used to pick the destination. */
    static final class BodySerializer implements Serializer<AgentRequest> {
        @Override
        public byte[] serialize(String topic, AgentRequest request) {
            return request == null ? null : request.body();
        }
    }
}
