package dev.pdpipeline.common.deadletter;

/** The dead-letter topic does not exist: nothing was dead-lettered there yet, or its name is configured differently. */
public final class MissingDeadLetterTopicException extends IllegalStateException {

    public MissingDeadLetterTopicException(String message) {
        super(message);
    }
}
