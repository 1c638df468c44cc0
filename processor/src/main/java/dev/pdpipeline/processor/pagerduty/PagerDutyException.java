package dev.pdpipeline.processor.pagerduty;

import java.time.Duration;
import java.util.Objects;

/**
 * A PagerDuty call that did not succeed, classified by what the caller should do next. The
 * message names the operation and the HTTP status (or the transport error) and may carry
 * PagerDuty's error body; it never carries the API token.
 */
public final class PagerDutyException extends Exception {

    /** What kind of failure this was. */
    public enum Kind {
        /** 429: wait {@link #retryAfter()} (when PagerDuty said), then try again. */
        RATE_LIMITED,
        /** 5xx, 408, timeout, connection error: retry with backoff. */
        TRANSIENT,
        /** Any other 4xx: retrying the same request will not help. */
        REJECTED
    }

    private final Kind kind;
    private final int status;
    private final Duration retryAfter;
    private final boolean ambiguous;
    private final String body;

    /**
     * @param status     HTTP status, or 0 when no response was received
     * @param retryAfter wait PagerDuty asked for, or null
     * @param ambiguous  whether the request may have taken effect although it failed (a timeout
     *                   or broken connection after sending, a 5xx)
     * @param body       PagerDuty's response body (already free of secrets), or null
     */
    public PagerDutyException(Kind kind, String message, int status, Duration retryAfter, boolean ambiguous,
            String body) {
        super(Objects.requireNonNull(message, "message"), null, false, false);
        this.kind = Objects.requireNonNull(kind, "kind");
        this.status = status;
        this.retryAfter = retryAfter;
        this.ambiguous = ambiguous;
        this.body = body;
    }

    public Kind kind() {
        return kind;
    }

    /** HTTP status, 0 when no response came. */
    public int status() {
        return status;
    }

    /** The wait PagerDuty asked for ({@code ratelimit-reset} or {@code Retry-After}), or null. */
    public Duration retryAfter() {
        return retryAfter;
    }

    /** Whether the write may have happened although the call failed. */
    public boolean ambiguous() {
        return ambiguous;
    }

    /** PagerDuty's error body, or null. */
    public String body() {
        return body;
    }
}
