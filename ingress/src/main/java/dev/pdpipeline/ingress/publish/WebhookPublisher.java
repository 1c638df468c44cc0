package dev.pdpipeline.ingress.publish;

import java.util.concurrent.CompletableFuture;

/**
 * Hands deliveries to durable storage. The HTTP layer answers 202 only when the future completes
 * normally; it bounds the wait itself, so implementations need not, but must never block the
 * caller for long.
 */
public interface WebhookPublisher {

    /**
     * Publishes one delivery.
     *
     * @return completes with the receipt once the record is durably stored; completes
     *         exceptionally with {@link PublishRejectedException} when the record can never be
     *         stored (e.g. too large), with any other exception when it could not be stored now
     */
    CompletableFuture<PublishReceipt> publish(RawDelivery delivery);
}
