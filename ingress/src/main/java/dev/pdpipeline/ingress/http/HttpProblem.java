package dev.pdpipeline.ingress.http;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * A request that ends with an error status. Handlers throw it; {@link WebhookServer} maps it, once,
 * to {@code {"error": message}} with the given status and headers. Messages are fixed, short texts
 * written for the sender: never a secret, a signature or a stack trace.
 */
public final class HttpProblem extends RuntimeException {

    /** Seconds PagerDuty (or any sender) is asked to wait before retrying a 503. */
    public static final int RETRY_AFTER_SECONDS = 5;

    private final int status;
    private final Map<String, String> headers;

    private HttpProblem(int status, String message, Map<String, String> headers) {
        super(Objects.requireNonNull(message, "message"), null, false, false);
        this.status = status;
        this.headers = Map.copyOf(headers);
    }

    /** 400: the request is malformed (broken body framing, a body shorter than announced). */
    public static HttpProblem badRequest(String message) {
        return new HttpProblem(400, message, Map.of("Connection", "close"));
    }

    /** 408: the client did not send its request in time; the connection is closed. */
    public static HttpProblem requestTimeout(String message) {
        return new HttpProblem(408, message, Map.of("Connection", "close"));
    }

    /** 401: the delivery is not authenticated; PagerDuty does not retry it. */
    public static HttpProblem unauthorized(String message) {
        return new HttpProblem(401, message, Map.of());
    }

    /** 403: refused by an optional defence (address allowlist, required header); says nothing more. */
    public static HttpProblem forbidden() {
        return new HttpProblem(403, "forbidden", Map.of());
    }

    /** 404: no such path. */
    public static HttpProblem notFound() {
        return new HttpProblem(404, "not found", Map.of());
    }

    /** 405 with {@code Allow}. */
    public static HttpProblem methodNotAllowed(String allow) {
        return new HttpProblem(405, "method not allowed", Map.of("Allow", allow));
    }

    /** 413: the body is larger than accepted; retrying would not help. */
    public static HttpProblem contentTooLarge(String message) {
        return new HttpProblem(413, message, Map.of());
    }

    /** 503 with {@code Retry-After}: nothing was stored, so PagerDuty should retry. */
    public static HttpProblem unavailable(String message) {
        Map<String, String> headers = new LinkedHashMap<>();
        headers.put("Retry-After", Integer.toString(RETRY_AFTER_SECONDS));
        return new HttpProblem(503, message, headers);
    }

    /** 500: a bug; the message is generic on purpose. */
    public static HttpProblem internalError() {
        return new HttpProblem(500, "internal error", Map.of());
    }

    /** The same problem, answered with {@code Connection: close} (the rest of the request is never read). */
    public HttpProblem closingConnection() {
        Map<String, String> closing = new LinkedHashMap<>(headers);
        closing.put("Connection", "close");
        return new HttpProblem(status, getMessage(), closing);
    }

    public int status() {
        return status;
    }

    /** Response headers to set along with the status. */
    public Map<String, String> headers() {
        return headers;
    }
}
