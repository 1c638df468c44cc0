package dev.pdpipeline.processor.notes;

import java.util.Locale;

/**
 * Why a result went to the results dead-letter topic; the lowercase name is the
 * {@code pdpipeline-dlq-reason} header and the {@code reason} tag of
 * {@code pdpipeline.notes.dead_letters}. docs/notes.md has the table users read.
 */
public enum DeadLetterReason {
    /** The value is not a JSON object. */
    INVALID_JSON,
    /** A required field is absent or null ({@code request_id}, {@code incident_id}, {@code agent}, or both note and status). */
    MISSING_FIELD,
    /** A field has the wrong type or an unusable value. */
    INVALID_FIELD,
    /** {@code status} is not {@code acknowledged} or {@code resolved}. */
    UNKNOWN_STATUS,
    /**
     * No routed request has this {@code request_id}, even after the grace period: never routed, or
     * older than the request log's retention ({@code REQUEST_LOG_RETENTION_MS}) and deleted.
     */
    UNKNOWN_REQUEST,
    /** The result names another incident or agent than the request it answers. */
    REQUEST_MISMATCH,
    /** A token is configured but no From email could be found. */
    NO_FROM_EMAIL,
    /** PagerDuty refused the write (400, 401, 403, 404, other 4xx). */
    PAGERDUTY_REJECTED,
    /** PagerDuty kept failing (5xx, timeouts, connection errors) for the whole retry budget. */
    PAGERDUTY_UNAVAILABLE,
    /** A bug or an unexpected failure; the detail says what. */
    INTERNAL_ERROR;

    /** The header / tag value. */
    public String code() {
        return name().toLowerCase(Locale.ROOT);
    }
}
