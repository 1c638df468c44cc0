package dev.pdpipeline.common.kafka;

import java.nio.charset.StandardCharsets;
import java.util.LinkedHashSet;
import java.util.Set;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;

/**
 * Names of the Kafka record headers the pipeline writes and reads. One place, so that the
 * ingress, the processor, replay tools and third-party agents agree.
 */
public final class PipelineHeaders {

    /** PagerDuty's webhook id, repeated on every delivery attempt of one webhook. */
    public static final String WEBHOOK_ID = "X-Webhook-Id";
    /** PagerDuty's webhook subscription id. */
    public static final String WEBHOOK_SUBSCRIPTION = "X-Webhook-Subscription";
    /** When the ingress received the delivery: ISO-8601 instant, UTF-8. */
    public static final String RECEIVED_AT = "pdpipeline-received-at";
    /**
     * Comma-separated fingerprints ({@code SecretFingerprint}) of every configured secret whose
     * signature matched the delivery. Never the secret or the signature itself.
     */
    public static final String SECRET_FINGERPRINTS = "pdpipeline-secret-fingerprints";

    /** Why a record was dead-lettered: short machine-readable code. */
    public static final String DLQ_REASON = "pdpipeline-dlq-reason";
    /** Human-readable detail of the dead-letter reason. */
    public static final String DLQ_DETAIL = "pdpipeline-dlq-detail";
    /** Topic the dead-lettered record was read from. */
    public static final String DLQ_SOURCE_TOPIC = "pdpipeline-dlq-source-topic";
    /** Partition the dead-lettered record was read from (decimal). */
    public static final String DLQ_SOURCE_PARTITION = "pdpipeline-dlq-source-partition";
    /** Offset the dead-lettered record was read from (decimal). */
    public static final String DLQ_SOURCE_OFFSET = "pdpipeline-dlq-source-offset";
    /** When the record was dead-lettered: ISO-8601 instant. */
    public static final String DLQ_AT = "pdpipeline-dlq-at";

    /** Set on agent requests produced by a replay run: the replay id. */
    public static final String REPLAY_ID = "pdpipeline-replay-id";

    private PipelineHeaders() {
    }

    /** The last value of a header as UTF-8 text, or null when absent. */
    public static String text(Headers headers, String name) {
        Header h = headers.lastHeader(name);
        return h == null || h.value() == null ? null : new String(h.value(), StandardCharsets.UTF_8);
    }

    /**
     * The fingerprints of {@link #SECRET_FINGERPRINTS}, in header order; null when the header is
     * absent (the record did not come through the ingress).
     */
    public static Set<String> secretFingerprints(Headers headers) {
        Header header = headers.lastHeader(SECRET_FINGERPRINTS);
        if (header == null) {
            return null;
        }
        Set<String> out = new LinkedHashSet<>();
        if (header.value() != null) {
            for (String part : new String(header.value(), StandardCharsets.UTF_8).split(",")) {
                String fp = part.trim();
                if (!fp.isEmpty()) {
                    out.add(fp);
                }
            }
        }
        return out;
    }
}
