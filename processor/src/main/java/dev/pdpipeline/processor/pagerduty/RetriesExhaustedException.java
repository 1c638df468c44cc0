package dev.pdpipeline.processor.pagerduty;

import java.util.Objects;

/** PagerDuty kept failing transiently until the retry time budget was spent. */
public final class RetriesExhaustedException extends Exception {

    private final PagerDutyException lastError;
    private final int attempts;

    public RetriesExhaustedException(String message, PagerDutyException lastError, int attempts) {
        super(Objects.requireNonNull(message, "message"), lastError, false, false);
        this.lastError = Objects.requireNonNull(lastError, "lastError");
        this.attempts = attempts;
    }

    public PagerDutyException lastError() {
        return lastError;
    }

    public int attempts() {
        return attempts;
    }
}
