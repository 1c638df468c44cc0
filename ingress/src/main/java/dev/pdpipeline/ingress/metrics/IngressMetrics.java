package dev.pdpipeline.ingress.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BooleanSupplier;
import java.util.function.IntSupplier;

/**
 * Every meter of the ingress, named {@code pdpipeline.ingress.*}. Tags carry only bounded,
 * non-secret values (status codes, fixed reason words), never a secret, signature or id.
 */
public final class IngressMetrics {

    public static final String PREFIX = "pdpipeline.ingress.";
    public static final String REQUESTS = PREFIX + "requests";
    public static final String SIGNATURE_FAILURES = PREFIX + "signature.failures";
    public static final String PUBLISH_LATENCY = PREFIX + "publish.latency";
    public static final String PUBLISHED = PREFIX + "published";
    public static final String PUBLISH_FAILURES = PREFIX + "publish.failures";
    public static final String BODY_SIZE = PREFIX + "body.size";
    public static final String TRIGGER_RELOAD_FAILURES = PREFIX + "triggers.reload.failures";
    public static final String TRIGGER_RELOADS = PREFIX + "triggers.reloads";
    public static final String WEBHOOK_SECRETS = PREFIX + "webhook.secrets";
    public static final String READY = PREFIX + "ready";
    public static final String ACCESS_DENIED = PREFIX + "access.denied";
    public static final String CONNECTIONS_CLOSED = PREFIX + "connections.closed";
    public static final String RAW_PARTITIONS_UNAVAILABLE = PREFIX + "raw.partitions.unavailable";

    /** Reasons of {@link #connectionClosed}: request line or headers past INGRESS_HEADER_TIMEOUT_MS. */
    public static final String CLOSED_HEADER_TIMEOUT = "header_timeout";
    /** Body not complete within INGRESS_BODY_TIMEOUT_MS (answered 408). */
    public static final String CLOSED_BODY_TIMEOUT = "body_timeout";
    /** Body below INGRESS_MIN_REQUEST_DATA_RATE, or silent past the idle timeout mid-body (answered 408). */
    public static final String CLOSED_SLOW_BODY = "slow_body";
    /** Over INGRESS_MAX_CONNECTIONS_PER_ADDRESS: closed as it opened. */
    public static final String CLOSED_ADDRESS_LIMIT = "address_limit";

    private final MeterRegistry registry;
    private final DistributionSummary bodySize;
    private final Counter published;
    private final Counter reloadFailures;
    private final Counter reloads;
    /** By route and status; statuses are a few dozen at most. */
    private final Map<String, Counter> requestCounters = new ConcurrentHashMap<>();
    private final Map<String, Timer> publishTimers = new ConcurrentHashMap<>();

    public IngressMetrics(MeterRegistry registry) {
        this.registry = Objects.requireNonNull(registry, "registry");
        this.bodySize = DistributionSummary.builder(BODY_SIZE)
                .description("Size of webhook bodies received (after size checks)")
                .baseUnit("bytes")
                .register(registry);
        this.published = Counter.builder(PUBLISHED)
                .description("Deliveries acknowledged by Kafka and answered 202")
                .register(registry);
        this.reloadFailures = Counter.builder(TRIGGER_RELOAD_FAILURES)
                .description("Trigger reloads rejected; the last good secrets stay in use")
                .register(registry);
        this.reloads = Counter.builder(TRIGGER_RELOADS)
                .description("Trigger reloads applied")
                .register(registry);
    }

    /** Counts one finished HTTP request. {@code route} is {@code webhook} or {@code other}. */
    public void request(String route, int status) {
        // looked up once per route and status, not built and registered again per request
        requestCounters.computeIfAbsent(route + ' ' + status, k -> Counter.builder(REQUESTS)
                .description("HTTP requests on the webhook port by route and status")
                .tag("route", route)
                .tag("status", Integer.toString(status))
                .register(registry))
                .increment();
    }

    /** Counts a rejected signature; {@code reason} is missing, malformed or mismatch. */
    public void signatureFailure(String reason) {
        Counter.builder(SIGNATURE_FAILURES)
                .description("Deliveries rejected because no signature matched a configured secret")
                .tag("reason", reason)
                .register(registry)
                .increment();
    }

    /** Records how long Kafka took; {@code outcome} is ok, timeout, rejected or error. */
    public void publishLatency(Duration elapsed, String outcome) {
        publishTimers.computeIfAbsent(outcome, k -> Timer.builder(PUBLISH_LATENCY)
                .description("Time from send to Kafka's acknowledgement (or give-up)")
                .tag("outcome", outcome)
                .register(registry))
                .record(elapsed);
        if ("ok".equals(outcome)) {
            published.increment();
        } else {
            Counter.builder(PUBLISH_FAILURES)
                    .description("Deliveries Kafka did not acknowledge in time (answered 503 or 413)")
                    .tag("outcome", outcome)
                    .register(registry)
                    .increment();
        }
    }

    /** Counts a request refused by an optional defence; {@code reason} is address or header. */
    public void accessDenied(String reason) {
        Counter.builder(ACCESS_DENIED)
                .description("Requests refused (403) by the address allowlist or the required header")
                .tag("reason", reason)
                .register(registry)
                .increment();
    }

    /** Counts a connection closed by a slow-client defence; {@code reason} is one of the CLOSED_* tags. */
    public void connectionClosed(String reason) {
        Counter.builder(CONNECTIONS_CLOSED)
                .description("Webhook connections closed by a slow-client defence (deadline, data rate, per-address bound)")
                .tag("reason", reason)
                .register(registry)
                .increment();
    }

    /** Gauge: raw-topic partitions that cannot take writes now (no leader, or fewer in-sync replicas than min ISR). */
    public void bindUnavailablePartitions(IntSupplier unavailable) {
        Gauge.builder(RAW_PARTITIONS_UNAVAILABLE, unavailable, IntSupplier::getAsInt)
                .description("Raw-topic partitions without a leader or below min.insync.replicas at the last check")
                .strongReference(true)
                .register(registry);
    }

    public void bodySize(long bytes) {
        bodySize.record(bytes);
    }

    public void triggerReloaded() {
        reloads.increment();
    }

    public void triggerReloadFailed() {
        reloadFailures.increment();
    }

    /** Gauges for the number of accepted secrets and readiness (1/0). */
    public void bindGauges(IntSupplier secrets, BooleanSupplier ready) {
        Gauge.builder(WEBHOOK_SECRETS, secrets, IntSupplier::getAsInt)
                .description("Webhook secrets currently accepted (all triggers)")
                .strongReference(true)
                .register(registry);
        Gauge.builder(READY, ready, r -> r.getAsBoolean() ? 1 : 0)
                .description("1 when Kafka is reachable and the raw topic is ready")
                .strongReference(true)
                .register(registry);
    }
}
