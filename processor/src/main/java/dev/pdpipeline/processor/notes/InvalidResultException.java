package dev.pdpipeline.processor.notes;

import java.util.Objects;

/** A result that cannot be accepted; carries the dead-letter reason and a detail for people. */
public final class InvalidResultException extends Exception {

    private final DeadLetterReason reason;

    public InvalidResultException(DeadLetterReason reason, String detail) {
        super(Objects.requireNonNull(detail, "detail"), null, false, false);
        this.reason = Objects.requireNonNull(reason, "reason");
    }

    public DeadLetterReason reason() {
        return reason;
    }
}
