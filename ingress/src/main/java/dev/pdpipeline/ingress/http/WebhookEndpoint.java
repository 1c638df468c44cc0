package dev.pdpipeline.ingress.http;

import com.fasterxml.jackson.core.JacksonException;
import dev.pdpipeline.common.kafka.PipelineHeaders;
import dev.pdpipeline.common.logging.LogContext;
import dev.pdpipeline.ingress.metrics.IngressMetrics;
import dev.pdpipeline.ingress.publish.PublishReceipt;
import dev.pdpipeline.ingress.publish.PublishRejectedException;
import dev.pdpipeline.ingress.publish.RawDelivery;
import dev.pdpipeline.ingress.publish.WebhookPublisher;
import dev.pdpipeline.ingress.signature.SignatureVerifier;
import dev.pdpipeline.ingress.signature.VerificationResult;
import dev.pdpipeline.ingress.signature.WebhookSecret;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code POST /webhooks/pagerduty}: authenticate, publish, and answer 202 only once Kafka holds
 * the delivery.
 *
 * <p>Order of checks, cheapest first: readiness (503), declared size (413), bounded read (413;
 * 400 for broken framing; 408 past the body deadline), signature (401), then publish. Both the
 * body read and the wait for Kafka are asynchronous (Jetty's core API, see {@link WebhookRoute}
 * and {@link AsyncBody}), so no Jetty thread is parked while a body trickles in or while the
 * broker acknowledges.
 * The wait for Kafka is bounded by the publish timeout:
 * past it the answer is 503 and PagerDuty retries. A record that Kafka stores after that 503 is a
 * duplicate of the retry, which the processor drops by webhook/event id.
 *
 * <p>The answer to a publish is written on a Jetty thread ({@link #answerOn}), never on the Kafka
 * producer's network thread that completes the publish: that thread must go back to sending, and
 * a client that does not read its answer must not hold it.
 */
public final class WebhookEndpoint {

    /** The one public path. */
    public static final String PATH = "/webhooks/pagerduty";

    private static final Logger LOG = LoggerFactory.getLogger(WebhookEndpoint.class);
    private static final long SLOW_WARNING_EVERY_NANOS = TimeUnit.SECONDS.toNanos(10);
    /** Longest header value copied into logs and Kafka headers. */
    private static final int MAX_HEADER_VALUE = 256;

    private final Supplier<? extends Collection<WebhookSecret>> secrets;
    private final WebhookPublisher publisher;
    private final BooleanSupplier ready;
    private final IngressMetrics metrics;
    private final long maxBodyBytes;
    private final Duration publishTimeout;
    private final Duration bodyTimeout;
    private final Clock clock;
    private final AtomicLong lastSlowWarning = new AtomicLong(System.nanoTime() - SLOW_WARNING_EVERY_NANOS);
    private volatile Executor answers = Runnable::run;

    /**
     * @param secrets        the secrets accepted right now (read per request, so reloads apply at once)
     * @param publisher      where authenticated deliveries go
     * @param ready          whether Kafka and the raw topic are ready; when not, the answer is 503
     * @param metrics        meters
     * @param maxBodyBytes   largest body accepted
     * @param publishTimeout longest wait for Kafka before answering 503
     * @param clock          source of the received-at time
     */
    public WebhookEndpoint(Supplier<? extends Collection<WebhookSecret>> secrets, WebhookPublisher publisher,
            BooleanSupplier ready, IngressMetrics metrics, long maxBodyBytes, Duration publishTimeout, Clock clock) {
        this(secrets, publisher, ready, metrics, maxBodyBytes, publishTimeout, SlowClientLimits.DEFAULT_BODY_TIMEOUT,
                clock);
    }

    /**
     * @param bodyTimeout longest time from the end of the headers to the last byte of the body;
     *                    past it the answer is 408 and the connection is closed
     * @see #WebhookEndpoint(Supplier, WebhookPublisher, BooleanSupplier, IngressMetrics, long, Duration, Clock)
     */
    public WebhookEndpoint(Supplier<? extends Collection<WebhookSecret>> secrets, WebhookPublisher publisher,
            BooleanSupplier ready, IngressMetrics metrics, long maxBodyBytes, Duration publishTimeout,
            Duration bodyTimeout, Clock clock) {
        this.bodyTimeout = Objects.requireNonNull(bodyTimeout, "bodyTimeout");
        if (bodyTimeout.isNegative() || bodyTimeout.isZero()) {
            throw new IllegalArgumentException("bodyTimeout must be positive, got " + bodyTimeout);
        }
        this.secrets = Objects.requireNonNull(secrets, "secrets");
        this.publisher = Objects.requireNonNull(publisher, "publisher");
        this.ready = Objects.requireNonNull(ready, "ready");
        this.metrics = Objects.requireNonNull(metrics, "metrics");
        this.publishTimeout = Objects.requireNonNull(publishTimeout, "publishTimeout");
        this.clock = Objects.requireNonNull(clock, "clock");
        if (maxBodyBytes <= 0) {
            throw new IllegalArgumentException("maxBodyBytes must be positive, got " + maxBodyBytes);
        }
        if (publishTimeout.isNegative() || publishTimeout.isZero()) {
            throw new IllegalArgumentException("publishTimeout must be positive, got " + publishTimeout);
        }
        this.maxBodyBytes = maxBodyBytes;
    }

    /**
     * Where answers to publishes are written (the server's own thread pool). Until this is called
     * they are written by whichever thread completes the publish. When the pool refuses a task
     * (stopping), the answer is written at once instead, so no request is left without one.
     */
    void answerOn(Executor pool) {
        Objects.requireNonNull(pool, "pool");
        this.answers = task -> {
            try {
                pool.execute(task);
            } catch (RejectedExecutionException e) {
                task.run();
            }
        };
    }

    /** Any method but POST on {@link #PATH} (a Javalin route). */
    public void rejectMethod(io.javalin.http.Context ctx) {
        throw HttpProblem.methodNotAllowed("POST");
    }

    /** POST on {@link #PATH}; answers through {@code ctx}, now or once Kafka acknowledged. */
    void receive(WebhookExchange ctx) {
        if (!ready.getAsBoolean()) {
            throw HttpProblem.unavailable("not ready: Kafka or the raw topic is unavailable");
        }
        Instant receivedAt = clock.instant();
        String webhookId = headerValue(ctx, PipelineHeaders.WEBHOOK_ID);
        String subscription = headerValue(ctx, PipelineHeaders.WEBHOOK_SUBSCRIPTION);
        String signature = ctx.header(SignatureVerifier.HEADER);
        long declared = ctx.declaredLength();
        if (declared > maxBodyBytes) {
            // refused before getInputStream(), which would send "100 Continue" to a client that asked (Expect)
            LOG.warn("Rejected webhook {}: body over {} bytes (declared length {})", webhookId, maxBodyBytes, declared);
            throw HttpProblem.contentTooLarge("body larger than " + maxBodyBytes + " bytes");
        }
        // the body is read asynchronously (no thread waits while it trickles in), bounded by the body deadline
        readBody(ctx, declared)
                .thenCompose(body -> verifyAndPublish(ctx, body, signature, webhookId, subscription, receivedAt))
                .whenComplete((ignored, failure) -> {
                    if (failure != null) {
                        ctx.respond(bodyProblem(failure, ctx, webhookId, declared));
                    }
                });
    }

    private CompletableFuture<byte[]> readBody(WebhookExchange ctx, long declared) {
        CompletableFuture<byte[]> body;
        try {
            body = AsyncBody.read(ctx.body(), declared, maxBodyBytes, ctx.minDataRate());
        } catch (RuntimeException e) {
            body = CompletableFuture.failedFuture(new AsyncBody.Failure(AsyncBody.Kind.MALFORMED, e));
        }
        if (body.isDone()) {
            return body; // it came with the headers: no deadline to keep
        }
        // a bare TimeoutException can only come from this bound: AsyncBody wraps Jetty's own in a Failure
        return body.orTimeout(bodyTimeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** After the body: signature (401), then publish (202/503/413). Fails only with a 401 problem. */
    private CompletableFuture<Void> verifyAndPublish(WebhookExchange ctx, byte[] body, String signature, String webhookId,
            String subscription, Instant receivedAt) {
        metrics.bodySize(body.length);
        VerificationResult verification = SignatureVerifier.verify(body, signature, secrets.get());
        if (!verification.verified()) {
            String reason = verification.outcome().tag();
            metrics.signatureFailure(reason);
            LOG.warn("Rejected webhook {} from {}: signature {} ({} bytes)", webhookId, ctx.ip(), reason, body.length);
            return CompletableFuture.failedFuture(HttpProblem.unauthorized(switch (verification.outcome()) {
                case MISSING -> "missing " + SignatureVerifier.HEADER + " header";
                case MALFORMED -> "no well-formed v1 signature in " + SignatureVerifier.HEADER;
                default -> "signature does not match";
            }));
        }
        DeliveryFields fields = fields(body, webhookId);
        RawDelivery delivery = new RawDelivery(fields.key(), body, webhookId, subscription,
                receivedAt, verification.matchedFingerprints());
        return publishBounded(delivery).handleAsync((receipt, failure) -> {
            answer(ctx, delivery, fields, receipt, failure);
            return null;
        }, answers);
    }

    /** The answer to a request whose body could not be read (or was not authentic): always a 4xx. */
    private HttpProblem bodyProblem(Throwable failure, WebhookExchange ctx, String webhookId, long declared) {
        Throwable cause = unwrap(failure);
        if (cause instanceof HttpProblem problem) {
            if (problem.status() == 413) {
                LOG.warn("Rejected webhook {}: body over {} bytes (declared length {})", webhookId, maxBodyBytes,
                        declared);
                // the rest of the body is never read: do not let the client send it as a next request
                return problem.closingConnection();
            }
            return problem;
        }
        if (cause instanceof TimeoutException) {
            metrics.connectionClosed(IngressMetrics.CLOSED_BODY_TIMEOUT);
            if (slowWarning()) {
                LOG.warn("Closed connection from {}: webhook {} body not received within {} ms (declared length {}; "
                        + "more in the next 10 s are only counted in pdpipeline_ingress_connections_closed_total)",
                        ctx.ip(), webhookId, bodyTimeout.toMillis(), declared);
            }
            return HttpProblem.requestTimeout("request body not received within " + bodyTimeout.toMillis() + " ms");
        }
        if (cause instanceof AsyncBody.Failure read && read.kind() == AsyncBody.Kind.TOO_SLOW) {
            metrics.connectionClosed(IngressMetrics.CLOSED_SLOW_BODY);
            if (slowWarning()) {
                LOG.warn("Closed connection from {}: webhook {} body arrived too slowly ({}; more in the next 10 s are "
                        + "only counted in pdpipeline_ingress_connections_closed_total)", ctx.ip(), webhookId,
                        read.getCause() == null ? "timeout" : read.getCause().getMessage());
            }
            return HttpProblem.requestTimeout("request body arrived too slowly");
        }
        if (cause instanceof AsyncBody.Failure) {
            LOG.warn("Rejected request from {}: malformed or incomplete body framing (webhook {}, declared length {}):"
                    + " {}", ctx.ip(), webhookId, declared, cause.getCause() == null ? "?" : cause.getCause().toString());
            return HttpProblem.badRequest("malformed or incomplete request body");
        }
        LOG.error("Unexpected error handling webhook {} from {}", webhookId, ctx.ip(), cause);
        return HttpProblem.internalError();
    }

    /** At most one WARN per 10 s for slow clients: a thousand of them must not flood the log. */
    private boolean slowWarning() {
        long now = System.nanoTime();
        long last = lastSlowWarning.get();
        return now - last >= SLOW_WARNING_EVERY_NANOS && lastSlowWarning.compareAndSet(last, now);
    }

    /** The publish future, failed with a {@link TimeoutException} once the bound passes. */
    private CompletableFuture<PublishReceipt> publishBounded(RawDelivery delivery) {
        long start = System.nanoTime();
        CompletableFuture<PublishReceipt> published;
        try {
            published = publisher.publish(delivery).copy();
        } catch (RuntimeException e) {
            published = CompletableFuture.failedFuture(e);
        }
        return published
                .orTimeout(publishTimeout.toMillis(), TimeUnit.MILLISECONDS)
                .whenComplete((receipt, failure) ->
                        metrics.publishLatency(Duration.ofNanos(System.nanoTime() - start), outcome(failure)));
    }

    private static void answer(WebhookExchange ctx, RawDelivery delivery, DeliveryFields fields, PublishReceipt receipt,
            Throwable failure) {
        if (failure == null) {
            try (LogContext scope = LogContext.record(receipt.topic(), receipt.partition(), receipt.offset())) {
                scope.put(LogContext.EVENT_ID, fields.eventId()).put(LogContext.INCIDENT, fields.incident());
                LOG.info("Accepted webhook {} (key {}, {} bytes) at {}-{}@{}, event {}", delivery.webhookId(),
                        delivery.key(), delivery.body().length, receipt.topic(), receipt.partition(), receipt.offset(),
                        fields.eventId());
            }
            ctx.respondJson(202, acceptedBody(receipt.partition(), receipt.offset()));
            return;
        }
        Throwable cause = unwrap(failure);
        HttpProblem problem;
        if (cause instanceof PublishRejectedException) {
            LOG.warn("Kafka refused webhook {} (key {}, {} bytes) for good: {}", delivery.webhookId(), delivery.key(),
                    delivery.body().length, cause.getMessage());
            problem = HttpProblem.contentTooLarge("delivery refused by the event store: too large");
        } else if (cause instanceof TimeoutException) {
            LOG.warn("Kafka did not acknowledge webhook {} (key {}) in time; answering 503 so PagerDuty retries",
                    delivery.webhookId(), delivery.key());
            problem = HttpProblem.unavailable("event store did not acknowledge in time");
        } else {
            LOG.warn("Could not publish webhook {} (key {}); answering 503 so PagerDuty retries: {}",
                    delivery.webhookId(), delivery.key(), cause.toString());
            problem = HttpProblem.unavailable("event store unavailable");
        }
        ctx.respond(problem);
    }

    private static String outcome(Throwable failure) {
        if (failure == null) {
            return "ok";
        }
        Throwable cause = unwrap(failure);
        if (cause instanceof TimeoutException) {
            return "timeout";
        }
        return cause instanceof PublishRejectedException ? "rejected" : "error";
    }

    private static Throwable unwrap(Throwable failure) {
        Throwable t = failure;
        while ((t instanceof CompletionException || t instanceof ExecutionException) && t.getCause() != null) {
            t = t.getCause();
        }
        return t;
    }

    /** {@code {"status":"accepted","partition":P,"offset":O}}, written without a JSON tree. */
    static String acceptedBody(int partition, long offset) {
        return new StringBuilder(64).append("{\"status\":\"accepted\",\"partition\":").append(partition)
                .append(",\"offset\":").append(offset).append('}').toString();
    }

    /**
     * The record key (incident id, else resource id, else null) and the event id. An authenticated
     * body that is not JSON or not a V3 event is still published (the processor dead-letters it),
     * without a key.
     */
    private static DeliveryFields fields(byte[] body, String webhookId) {
        try {
            DeliveryFields fields = DeliveryFields.read(body);
            if (fields.key() == null && !fields.ping()) {
                LOG.info("Webhook {} carries no incident or resource id; publishing it without a key", webhookId);
            }
            return fields;
        } catch (JacksonException e) {
            LOG.warn("Webhook {} is authenticated but not valid JSON ({}); publishing it without a key",
                    webhookId, e.getOriginalMessage());
            return DeliveryFields.NONE;
        } catch (IOException e) {
            LOG.warn("Webhook {} body could not be parsed ({}); publishing it without a key", webhookId, e.toString());
            return DeliveryFields.NONE;
        }
    }

    /** A request header fit for logs and Kafka headers: trimmed, bounded, printable ASCII only. */
    static String headerValue(WebhookExchange ctx, String name) {
        String value = ctx.header(name);
        if (value == null || value.isBlank()) {
            return null;
        }
        String trimmed = value.strip();
        StringBuilder safe = new StringBuilder(Math.min(trimmed.length(), MAX_HEADER_VALUE));
        for (int i = 0; i < trimmed.length() && safe.length() < MAX_HEADER_VALUE; i++) {
            char c = trimmed.charAt(i);
            safe.append(c >= 0x20 && c < 0x7f ? c : '?');
        }
        return safe.toString();
    }
}
