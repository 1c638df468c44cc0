package dev.pdpipeline.console.action;

/** An action that cannot be done as asked; {@code status} is the HTTP status to answer (4xx). */
public final class ActionException extends RuntimeException {

    private static final long serialVersionUID = 1L;
    private final int status;

    public ActionException(int status, String message) {
        super(message);
        this.status = status;
    }

    public int status() {
        return status;
    }
}
