package dev.pdpipeline.processor.topology;

import dev.pdpipeline.common.topics.TopicCatalogue;
import dev.pdpipeline.common.trigger.TriggerSet;
import dev.pdpipeline.processor.dedup.DedupStore;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.Objects;
import java.util.function.Supplier;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.processor.TopicNameExtractor;

/**
 * The processor's Kafka Streams topology, apart from the service so tests can drive it directly:
 *
 * <pre>
 *   raw topic ──► route (dedup store) ─┬─► agent sink (topic chosen per record: agent.{agent}.requests)
 *                                      ├─► request log sink (compacted: request_id → trigger, for notes)
 *                                      ├─► dead-letter sink (DLQ topic)
 *                                      └─► decisions sink (one record per raw record: what each trigger decided)
 * </pre>
 *
 * No repartition: the raw topic is keyed by incident id, so every delivery of one event lands in
 * the same partition and therefore meets the same dedup store shard.
 */
public final class RoutingTopology {

    public static final String SOURCE = "raw-source";
    public static final String PROCESSOR = "route";
    public static final String AGENT_SINK = "agent-requests-sink";
    public static final String DEAD_LETTER_SINK = "dead-letter-sink";
    public static final String REQUEST_LOG_SINK = "request-log-sink";
    public static final String DECISIONS_SINK = "decisions-sink";

    private RoutingTopology() {
    }

    /**
     * @param triggers read for every record, so a reloaded set applies from the next record on;
     *                 its agents' topics must exist before it is returned
     */
    public static Topology build(TopicCatalogue topics, Supplier<TriggerSet> triggers, RoutingOptions options,
            MeterRegistry registry) {
        return build(topics, triggers, options, registry, RoutingProcessor.RequestFactory.live());
    }

    /** {@link #build(TopicCatalogue, Supplier, RoutingOptions, MeterRegistry)} with another request builder. */
    static Topology build(TopicCatalogue topics, Supplier<TriggerSet> triggers, RoutingOptions options,
            MeterRegistry registry, RoutingProcessor.RequestFactory requests) {
        Objects.requireNonNull(topics, "topics");
        Objects.requireNonNull(requests, "requests");
        Objects.requireNonNull(triggers, "triggers");
        Objects.requireNonNull(options, "options");
        RoutingMetrics metrics = new RoutingMetrics(Objects.requireNonNull(registry, "registry"));
        TopicNameExtractor<byte[], AgentRequest> agentTopic = (key, request, context) -> request.topic();

        Topology topology = new Topology();
        topology.addSource(SOURCE, new ByteArrayDeserializer(), new ByteArrayDeserializer(), topics.raw());
        topology.addProcessor(PROCESSOR, () -> new RoutingProcessor(topics, triggers, options, metrics, requests), SOURCE);
        topology.addStateStore(DedupStore.storeBuilder(), PROCESSOR);
        topology.addSink(AGENT_SINK, agentTopic, new ByteArraySerializer(), new AgentRequest.BodySerializer(),
                PROCESSOR);
        topology.addSink(REQUEST_LOG_SINK, topics.requestLog(), new ByteArraySerializer(), new ByteArraySerializer(),
                PROCESSOR);
        topology.addSink(DEAD_LETTER_SINK, topics.deadLetter(), new ByteArraySerializer(), new ByteArraySerializer(),
                PROCESSOR);
        topology.addSink(DECISIONS_SINK, topics.decisions(), new ByteArraySerializer(), new ByteArraySerializer(),
                PROCESSOR);
        return topology;
    }
}
