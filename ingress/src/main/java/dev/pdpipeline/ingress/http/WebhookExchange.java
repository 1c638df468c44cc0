package dev.pdpipeline.ingress.http;

import dev.pdpipeline.ingress.metrics.IngressMetrics;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One webhook request as Jetty's core API hands it over (request, response, and the callback that
 * ends the exchange), with the few things {@link WebhookEndpoint} needs from it. It is answered
 * exactly once: a second answer (a late publish after a timeout answered, say) is ignored.
 */
final class WebhookExchange {

    private static final Logger LOG = LoggerFactory.getLogger(WebhookExchange.class);
    private static final String JSON = "application/json";

    private final Request request;
    private final Response response;
    private final Callback callback;
    private final IngressMetrics metrics;
    private final long minDataRate;
    private final AtomicBoolean answered = new AtomicBoolean();

    WebhookExchange(Request request, Response response, Callback callback, IngressMetrics metrics, long minDataRate) {
        this.minDataRate = minDataRate;
        this.request = request;
        this.response = response;
        this.callback = callback;
        this.metrics = metrics;
    }

    /** A request header, or null. */
    String header(String name) {
        return request.getHeaders().get(name);
    }

    /** The declared {@code Content-Length}, or -1 when there is none (chunked). */
    long declaredLength() {
        return request.getLength();
    }

    /** The TCP peer's address, for logs. */
    String ip() {
        return Request.getRemoteAddr(request);
    }

    /** The body as it arrives (read once, by {@link AsyncBody}). */
    Content.Source body() {
        return request;
    }

    /** Bytes per second a body must keep up ({@link SlowClientLimits#minRequestDataRate()}); 0 = not checked. */
    long minDataRate() {
        return minDataRate;
    }

    /** Answers {@code json} with {@code status}; does nothing when already answered. */
    void respondJson(int status, String json) {
        answer(status, json, Map.of());
    }

    /** Answers a problem as {@code {"error": message}} with its status and headers. */
    void respond(HttpProblem problem) {
        answer(problem.status(), WebhookServer.problemJson(problem), problem.headers());
    }

    private void answer(int status, String json, Map<String, String> headers) {
        if (!answered.compareAndSet(false, true)) {
            return;
        }
        metrics.request("webhook", status);
        byte[] bytes = json.getBytes(StandardCharsets.UTF_8);
        response.setStatus(status);
        headers.forEach((name, value) -> response.getHeaders().put(name, value));
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, JSON);
        response.getHeaders().put(HttpHeader.CONTENT_LENGTH, bytes.length);
        // non-blocking: a client that does not read its answer holds the connection, not this thread
        response.write(true, ByteBuffer.wrap(bytes), callback);
    }

    /** A bug on the way to an answer: logged, answered 500 if nothing was answered yet. */
    void fail(Throwable bug) {
        LOG.error("Unexpected error on {} {}", request.getMethod(), Request.getPathInContext(request), bug);
        respond(HttpProblem.internalError());
    }
}
