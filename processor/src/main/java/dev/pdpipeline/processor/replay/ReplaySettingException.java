package dev.pdpipeline.processor.replay;

/**
 * A replay or explain setting that cannot work (an unknown trigger, a missing topic); the
 * message names it. Command lines report it as a configuration error, not as a Kafka failure.
 */
public final class ReplaySettingException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public ReplaySettingException(String message) {
        super(message);
    }
}
