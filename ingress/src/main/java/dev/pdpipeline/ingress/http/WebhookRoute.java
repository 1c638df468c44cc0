package dev.pdpipeline.ingress.http;

import dev.pdpipeline.ingress.metrics.IngressMetrics;
import java.util.Objects;
import org.eclipse.jetty.http.HttpMethod;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;

/**
 * {@code POST} on {@link WebhookEndpoint#PATH} as a Jetty core handler, in front of Javalin, which
 * answers everything else (other methods on the path, other paths). The webhook is the one route
 * that carries load, and on it Jetty's servlet layer (asynchronous context, non-blocking servlet
 * reads) cost several times what reading the body, checking the signature and publishing cost
 * together; the core API reads a body that came with its headers in the handling thread and
 * answers without any servlet machinery (docs/benchmarks.md has the measurement).
 *
 * <p>The same defences and error mapping apply as on Javalin's routes: the optional access guard
 * first, then the endpoint; an {@link HttpProblem} becomes its JSON answer, any other exception a
 * logged 500.
 */
final class WebhookRoute extends Handler.Wrapper {

    private final WebhookEndpoint endpoint;
    private final AccessGuard guard;
    private final IngressMetrics metrics;
    private final long minDataRate;

    /**
     * @param guard       the optional defences, or null for none
     * @param minDataRate bytes per second a body must keep up; 0 = not checked
     */
    WebhookRoute(WebhookEndpoint endpoint, AccessGuard guard, IngressMetrics metrics, long minDataRate) {
        this.minDataRate = minDataRate;
        this.endpoint = Objects.requireNonNull(endpoint, "endpoint");
        this.guard = guard != null && guard.isActive() ? guard : null;
        this.metrics = Objects.requireNonNull(metrics, "metrics");
    }

    /** Whether a path is the webhook's (Javalin ignores one trailing slash; so does this). */
    static boolean isWebhookPath(String path) {
        return WebhookEndpoint.PATH.equals(path) || (WebhookEndpoint.PATH + "/").equals(path);
    }

    @Override
    public boolean handle(Request request, Response response, Callback callback) throws Exception {
        if (!HttpMethod.POST.is(request.getMethod()) || !isWebhookPath(Request.getPathInContext(request))) {
            return super.handle(request, response, callback);
        }
        WebhookExchange exchange = new WebhookExchange(request, response, callback, metrics, minDataRate);
        try {
            if (guard != null) {
                guard.check(request);
            }
            endpoint.receive(exchange);
        } catch (HttpProblem problem) {
            exchange.respond(problem);
        } catch (RuntimeException e) {
            exchange.fail(e);
        }
        return true;
    }
}
