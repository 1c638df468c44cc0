package dev.pdpipeline.ingress.publish;

/**
 * Kafka refused a delivery for good (it would refuse every retry too), so the sender should not
 * retry: the HTTP layer answers 413 instead of 503.
 */
public final class PublishRejectedException extends RuntimeException {

    public PublishRejectedException(String message, Throwable cause) {
        super(message, cause);
    }
}
