package dev.pdpipeline.ingress.http;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.pdpipeline.common.json.Json;
import dev.pdpipeline.ingress.metrics.IngressMetrics;
import io.javalin.Javalin;
import io.javalin.http.Context;
import io.javalin.http.HandlerType;
import io.javalin.http.HttpResponseException;
import java.time.Duration;
import java.util.Objects;
import org.eclipse.jetty.server.handler.ErrorHandler;
import org.eclipse.jetty.server.handler.GracefulHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The public HTTP listener: one route ({@link WebhookEndpoint#PATH}), JSON errors everywhere, no
 * stack traces, no health or metrics (those live on the management port).
 *
 * <p>Stopping is graceful: the connector stops accepting, requests in flight (including those
 * waiting for Kafka) finish, up to the drain timeout.
 */
public final class WebhookServer implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(WebhookServer.class);
    private static final String JSON = "application/json";

    private final Javalin app;
    private final IngressMetrics metrics;

    private WebhookServer(WebhookEndpoint endpoint, IngressMetrics metrics, long maxBodyBytes, Duration drainTimeout) {
        this.metrics = metrics;
        this.app = Javalin.create(config -> {
            config.startup.showJavalinBanner = false;
            config.startup.showOldJavalinVersionWarning = false;
            config.http.maxRequestSize = maxBodyBytes;
            config.http.defaultContentType = JSON;
            config.http.prefer405over404 = false;
            config.jetty.modifyServer(server -> {
                server.setStopTimeout(drainTimeout.toMillis());
                server.insertHandler(new GracefulHandler());
                ErrorHandler errors = new ErrorHandler();
                errors.setShowStacks(false);
                errors.setShowCauses(false);
                errors.setShowMessageInTitle(false);
                errors.setDefaultResponseMimeType(JSON);
                server.setErrorHandler(errors);
            });

            config.routes.post(WebhookEndpoint.PATH, endpoint::receive);
            for (HandlerType method : HandlerType.values()) {
                if (method.isHttpMethod() && !method.equals(HandlerType.POST)) {
                    config.routes.addHttpHandler(method, WebhookEndpoint.PATH, endpoint::rejectMethod);
                }
            }
            config.routes.exception(HttpProblem.class, WebhookServer::problem);
            config.routes.exception(HttpResponseException.class, WebhookServer::javalinProblem);
            config.routes.exception(Exception.class, WebhookServer::unexpected);
            config.requestLogger.http(this::countRequest);
        });
    }

    /**
     * Starts listening.
     *
     * @param host         interface to bind
     * @param port         port, 0 for a free one
     * @param endpoint     the webhook handler
     * @param metrics      meters (requests by status)
     * @param maxBodyBytes largest body accepted
     * @param drainTimeout how long stopping waits for requests in flight
     */
    public static WebhookServer start(String host, int port, WebhookEndpoint endpoint, IngressMetrics metrics,
            long maxBodyBytes, Duration drainTimeout) {
        Objects.requireNonNull(host, "host");
        WebhookServer server = new WebhookServer(Objects.requireNonNull(endpoint, "endpoint"),
                Objects.requireNonNull(metrics, "metrics"), maxBodyBytes, Objects.requireNonNull(drainTimeout, "drainTimeout"));
        server.app.start(host, port);
        LOG.info("Webhook listener on http://{}:{}{}", host, server.port(), WebhookEndpoint.PATH);
        return server;
    }

    /** The port actually bound. */
    public int port() {
        return app.port();
    }

    /** Stops accepting, lets requests in flight finish (up to the drain timeout), then stops. */
    @Override
    public void close() {
        app.stop();
    }

    /** Writes {@code body} as the JSON response with {@code status}. */
    static void respond(Context ctx, int status, ObjectNode body) {
        String text;
        try {
            text = Json.mapper().writeValueAsString(body);
        } catch (JsonProcessingException e) {
            // an ObjectNode of strings and numbers always serialises; keep the answer well-formed anyway
            text = "{\"error\":\"internal error\"}";
            status = 500;
        }
        ctx.status(status).contentType(JSON).result(text);
    }

    /** Writes a problem as {@code {"error": message}} with its status and headers. */
    static void respond(Context ctx, HttpProblem problem) {
        problem.headers().forEach(ctx::header);
        respond(ctx, problem.status(), Json.mapper().createObjectNode().put("error", problem.getMessage()));
    }

    private static void problem(HttpProblem problem, Context ctx) {
        respond(ctx, problem);
    }

    /** Javalin's own errors (e.g. unmatched path): same shape, Javalin's short message. */
    private static void javalinProblem(HttpResponseException e, Context ctx) {
        HttpProblem mapped = switch (e.getStatus()) {
            case 404 -> HttpProblem.notFound();
            case 405 -> HttpProblem.methodNotAllowed("POST");
            case 413 -> HttpProblem.contentTooLarge("body too large");
            case 503 -> HttpProblem.unavailable("unavailable");
            default -> null;
        };
        if (mapped != null) {
            respond(ctx, mapped);
        } else {
            respond(ctx, e.getStatus(), Json.mapper().createObjectNode().put("error", "request failed"));
        }
    }

    private static void unexpected(Exception e, Context ctx) {
        LOG.error("Unexpected error on {} {}", ctx.method(), ctx.path(), e);
        respond(ctx, HttpProblem.internalError());
    }

    private void countRequest(Context ctx, Float millis) {
        String path = ctx.path();
        String route = path.equals(WebhookEndpoint.PATH) || path.equals(WebhookEndpoint.PATH + "/") ? "webhook" : "other";
        metrics.request(route, ctx.statusCode());
    }
}
