package dev.pdpipeline.common.event;

import java.util.Objects;

/**
 * A delivery body that is not a usable PagerDuty V3 event.
 *
 * <p>Checked on purpose: every caller receives bytes from the network or from a topic that
 * anybody with produce rights can write to, so it must decide what a bad body means for it
 * (answer 400, dead-letter, count). The {@link #reason()} is a short stable code fit for metric
 * tags and HTTP answers; the {@link #detail()} is human text. Neither ever contains the body.
 */
public final class InvalidEventException extends Exception {

    private static final long serialVersionUID = 1L;

    /** The body is not JSON (or is empty, or has trailing content). */
    public static final String NOT_JSON = "not_json";
    /** The body is JSON with a key repeated inside one object. */
    public static final String DUPLICATE_KEY = "duplicate_key";
    /** The body breaks a read limit of {@code Json.mapper()} (nesting, string or number length). */
    public static final String TOO_LARGE = "too_large";
    /** The JSON root is not an object. */
    public static final String NOT_AN_OBJECT = "not_an_object";
    /** The root has no {@code event} object. */
    public static final String MISSING_EVENT = "missing_event";
    /** {@code event.id} is absent, not a string or blank. */
    public static final String MISSING_EVENT_ID = "missing_event_id";
    /** {@code event.event_type} is absent, not a string or blank. */
    public static final String MISSING_EVENT_TYPE = "missing_event_type";

    private final String reason;
    private final String detail;

    public InvalidEventException(String reason, String detail) {
        super(Objects.requireNonNull(reason, "reason") + ": " + Objects.requireNonNull(detail, "detail"));
        this.reason = reason;
        this.detail = detail;
    }

    /** Short stable code, e.g. {@code "missing_event_id"}. */
    public String reason() {
        return reason;
    }

    /** Human explanation; never contains the body. */
    public String detail() {
        return detail;
    }
}
