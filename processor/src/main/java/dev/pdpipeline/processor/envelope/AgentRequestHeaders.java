package dev.pdpipeline.processor.envelope;

/**
 * Headers the processor adds to agent requests, besides the ones it copies from the raw record
 * ({@code X-Webhook-Id}, {@code pdpipeline-received-at}). Listed in docs/agent-contract.md.
 */
public final class AgentRequestHeaders {

    /** Name of the trigger that routed the request (UTF-8). */
    public static final String TRIGGER = "pdpipeline-trigger";
    /** The envelope's {@code request_id} (UTF-8), so agents can deduplicate without parsing. */
    public static final String REQUEST_ID = "pdpipeline-request-id";
    /** The envelope's {@code schema_version} (decimal, UTF-8). */
    public static final String SCHEMA_VERSION = "pdpipeline-schema-version";

    private AgentRequestHeaders() {
    }
}
