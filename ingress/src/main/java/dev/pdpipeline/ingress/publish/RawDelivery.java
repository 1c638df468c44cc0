package dev.pdpipeline.ingress.publish;

import java.time.Instant;
import java.util.List;
import java.util.Objects;

/**
 * One authenticated delivery, ready to become a record on the raw topic.
 *
 * @param key                 partition key (incident id, else resource id), null when the body is
 *                            not a recognisable event
 * @param body                the request body exactly as received
 * @param webhookId           PagerDuty's {@code X-Webhook-Id}, null when absent
 * @param subscription        PagerDuty's {@code X-Webhook-Subscription}, null when absent
 * @param receivedAt          when the ingress received it
 * @param secretFingerprints  fingerprints of the secrets whose signature matched (never empty)
 */
public record RawDelivery(
        String key, byte[] body, String webhookId, String subscription, Instant receivedAt,
        List<String> secretFingerprints) {

    public RawDelivery {
        Objects.requireNonNull(body, "body");
        Objects.requireNonNull(receivedAt, "receivedAt");
        secretFingerprints = List.copyOf(Objects.requireNonNull(secretFingerprints, "secretFingerprints"));
        if (secretFingerprints.isEmpty()) {
            throw new IllegalArgumentException("an unauthenticated delivery must never be published");
        }
    }

    /** Short description for logs: ids and size only, never the body. */
    @Override
    public String toString() {
        return "RawDelivery[webhookId=" + webhookId + ", key=" + key + ", bytes=" + body.length + "]";
    }
}
