package dev.pdpipeline.launcher;

/** A launcher setting (variable or option) that cannot work; the message names it. */
public final class InvalidSettingException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public InvalidSettingException(String message) {
        super(message);
    }
}
