package dev.pdpipeline.ingress.http;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.pdpipeline.common.json.Json;
import dev.pdpipeline.ingress.metrics.IngressMetrics;
import io.javalin.Javalin;
import io.javalin.http.Context;
import io.javalin.http.HandlerType;
import io.javalin.http.HttpResponseException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.Objects;
import org.eclipse.jetty.http.HttpVersion;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.NetworkConnectionLimit;
import org.eclipse.jetty.server.SecureRequestCustomizer;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.server.SslConnectionFactory;
import org.eclipse.jetty.server.handler.ErrorHandler;
import org.eclipse.jetty.util.ssl.SslContextFactory;
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

    /** Largest request line plus headers; PagerDuty sends about 1 KB. Larger ones get 431. */
    public static final int MAX_REQUEST_HEADER_BYTES = 8192;
    /** Idle timeout when none is given: a client silent this long mid-request is disconnected. */
    public static final Duration DEFAULT_IDLE_TIMEOUT = Duration.ofSeconds(30);

    private final Javalin app;
    private volatile boolean closing;
    private volatile java.util.function.Consumer<String> onUnexpectedStop = why -> { };
    private final IngressMetrics metrics;
    private volatile ConnectionGuard connectionGuard;
    private final boolean tls;

    /**
     * Listener settings beyond host and port; {@link #defaults()} is plain HTTP with no optional
     * defence.
     *
     * @param idleTimeout how long a connection may stay silent (mid-request or between requests)
     * @param tls         TLS settings, or null for plain HTTP
     * @param guard       optional defences (allowlist, required header), or null for none
     * @param limits      deadlines and connection bounds against slow or numerous clients
     */
    public record Options(Duration idleTimeout, Tls tls, AccessGuard guard, SlowClientLimits limits) {
        public Options {
            Objects.requireNonNull(idleTimeout, "idleTimeout");
            Objects.requireNonNull(limits, "limits");
            if (idleTimeout.isNegative() || idleTimeout.isZero()) {
                throw new IllegalArgumentException("idleTimeout must be positive, got " + idleTimeout);
            }
        }

        /** With the default {@link SlowClientLimits}. */
        public Options(Duration idleTimeout, Tls tls, AccessGuard guard) {
            this(idleTimeout, tls, guard, SlowClientLimits.defaults());
        }

        public static Options defaults() {
            return new Options(DEFAULT_IDLE_TIMEOUT, null, null);
        }
    }

    /** Which client certificates the TLS listener asks for. */
    public enum ClientAuth {
        /** None asked for. */
        NONE,
        /** Asked for, not required. */
        WANT,
        /** Required: connections without a certificate the truststore trusts fail the handshake. */
        NEED;

        /** Parses none, want or need (any case). */
        public static ClientAuth parse(String text) {
            return valueOf(text.strip().toUpperCase(Locale.ROOT));
        }
    }

    /**
     * TLS for the webhook listener. Passwords are never part of {@link #toString()}.
     *
     * @param keystore           the server key and certificate chain
     * @param keystorePassword   its password
     * @param keystoreType       PKCS12 or JKS
     * @param truststore         the CAs client certificates must chain to, or null
     * @param truststorePassword its password, or null
     * @param clientAuth         whether client certificates are asked for or required
     */
    public record Tls(Path keystore, String keystorePassword, String keystoreType, Path truststore,
            String truststorePassword, ClientAuth clientAuth) {
        public Tls {
            Objects.requireNonNull(keystore, "keystore");
            Objects.requireNonNull(keystoreType, "keystoreType");
            Objects.requireNonNull(clientAuth, "clientAuth");
            if (clientAuth != ClientAuth.NONE && truststore == null) {
                throw new IllegalArgumentException("client authentication " + clientAuth + " needs a truststore");
            }
        }

        @Override
        public String toString() {
            return "Tls[keystore=" + keystore + ", type=" + keystoreType + ", truststore=" + truststore
                    + ", clientAuth=" + clientAuth + "]";
        }
    }

    private WebhookServer(WebhookEndpoint endpoint, IngressMetrics metrics, long maxBodyBytes, Duration drainTimeout,
            String host, int port, Options options) {
        this.metrics = metrics;
        this.tls = options.tls() != null;
        this.app = Javalin.create(config -> {
            config.startup.showJavalinBanner = false;
            config.startup.showOldJavalinVersionWarning = false;
            config.http.maxRequestSize = maxBodyBytes;
            config.http.defaultContentType = JSON;
            config.http.prefer405over404 = false;
            config.jetty.modifyServer(server -> {
                // answers to publishes are written on Jetty's threads, not on the Kafka producer's
                endpoint.answerOn(server.getThreadPool());
                server.addEventListener(new org.eclipse.jetty.util.component.LifeCycle.Listener() {
                    @Override
                    public void lifeCycleFailure(org.eclipse.jetty.util.component.LifeCycle event, Throwable cause) {
                        unexpectedStop("Jetty failed: " + cause);
                    }

                    @Override
                    public void lifeCycleStopped(org.eclipse.jetty.util.component.LifeCycle event) {
                        unexpectedStop("Jetty stopped");
                    }
                });
                server.setStopTimeout(drainTimeout.toMillis());
                // the webhook route itself, in front of Javalin; the graceful handler wraps it so a stop drains it
                server.insertHandler(new WebhookRoute(endpoint, options.guard(), metrics,
                        options.limits().minRequestDataRate()));
                server.insertHandler(new GracefulHandler());
                ErrorHandler errors = new JsonErrorHandler();
                errors.setShowStacks(false);
                errors.setShowCauses(false);
                errors.setShowMessageInTitle(false);
                errors.setDefaultResponseMimeType(JSON);
                server.setErrorHandler(errors);
            });
            config.jetty.modifyHttpConfiguration(http -> {
                http.setRequestHeaderSize(MAX_REQUEST_HEADER_BYTES);
                // Jetty's servlet layer enforces it on Javalin's routes; the webhook route's AsyncBody on its own
                http.setMinRequestDataRate(options.limits().minRequestDataRate());
                http.setSendServerVersion(false);
                http.setSendXPoweredBy(false);
            });
            config.jetty.addConnector((server, http) -> {
                ServerConnector connector = connector(server, http, host, port, options, metrics);
                this.connectionGuard = server.getBean(ConnectionGuard.class);
                return connector;
            });
            if (options.guard() != null && options.guard().isActive()) {
                config.routes.before(options.guard()::check);
            }

            // POST on the path is answered by WebhookRoute before Javalin sees it
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
        return start(host, port, endpoint, metrics, maxBodyBytes, drainTimeout, Options.defaults());
    }

    /**
     * Starts listening with {@code options} (idle timeout, TLS, optional defences).
     *
     * @see #start(String, int, WebhookEndpoint, IngressMetrics, long, Duration)
     */
    public static WebhookServer start(String host, int port, WebhookEndpoint endpoint, IngressMetrics metrics,
            long maxBodyBytes, Duration drainTimeout, Options options) {
        Objects.requireNonNull(host, "host");
        Objects.requireNonNull(options, "options");
        WebhookServer server = new WebhookServer(Objects.requireNonNull(endpoint, "endpoint"),
                Objects.requireNonNull(metrics, "metrics"), maxBodyBytes,
                Objects.requireNonNull(drainTimeout, "drainTimeout"), host, port, options);
        server.app.start();
        SlowClientLimits limits = options.limits();
        LOG.info("Webhook listener on {}://{}:{}{} (idle timeout {} ms, header deadline {} ms, body deadline {} ms, "
                        + "minimum body rate {} B/s, at most {} connections per address and {} in all{}{})",
                server.tls ? "https" : "http", host, server.port(), WebhookEndpoint.PATH, options.idleTimeout().toMillis(),
                limits.headerTimeout().toMillis(), limits.bodyTimeout().toMillis(), limits.minRequestDataRate(),
                limits.maxConnectionsPerAddress() == 0 ? "unbounded" : limits.maxConnectionsPerAddress(),
                limits.maxConnections(),
                options.tls() == null ? "" : ", client certificates " + options.tls().clientAuth(),
                options.guard() == null || !options.guard().isActive() ? "" : ", " + options.guard());
        return server;
    }

    /** The one listener: plain HTTP or TLS, with the idle timeout and the slow-client defences. */
    private static ServerConnector connector(org.eclipse.jetty.server.Server server, HttpConfiguration http,
            String host, int port, Options options, IngressMetrics metrics) {
        ServerConnector connector;
        Tls tls = options.tls();
        if (tls == null) {
            connector = new ServerConnector(server, new HttpConnectionFactory(http));
        } else {
            SslContextFactory.Server ssl = new SslContextFactory.Server();
            ssl.setKeyStorePath(tls.keystore().toAbsolutePath().toString());
            ssl.setKeyStorePassword(tls.keystorePassword());
            ssl.setKeyStoreType(tls.keystoreType());
            if (tls.truststore() != null) {
                ssl.setTrustStorePath(tls.truststore().toAbsolutePath().toString());
                ssl.setTrustStorePassword(tls.truststorePassword());
                ssl.setTrustStoreType(tls.keystoreType());
            }
            ssl.setNeedClientAuth(tls.clientAuth() == ClientAuth.NEED);
            ssl.setWantClientAuth(tls.clientAuth() == ClientAuth.WANT);
            HttpConfiguration https = new HttpConfiguration(http);
            SecureRequestCustomizer secure = new SecureRequestCustomizer();
            // PagerDuty connects by name; operators test by address: do not refuse on SNI mismatch
            secure.setSniHostCheck(false);
            https.addCustomizer(secure);
            connector = new ServerConnector(server, new SslConnectionFactory(ssl, HttpVersion.HTTP_1_1.asString()),
                    new HttpConnectionFactory(https));
        }
        connector.setHost(host);
        connector.setPort(port);
        connector.setIdleTimeout(options.idleTimeout().toMillis());
        SlowClientLimits limits = options.limits();
        ConnectionGuard guard = new ConnectionGuard(connector, limits.headerTimeout(),
                limits.maxConnectionsPerAddress(), metrics);
        connector.addEventListener(guard);
        server.addBean(guard);
        // at the bound Jetty stops accepting (new connections wait in the backlog) until one closes
        server.addBean(new NetworkConnectionLimit(limits.maxConnections(), connector));
        return connector;
    }

    /** Open connections counted for {@code address} by the per-address bound (for tests). */
    int openConnections(java.net.InetAddress address) {
        ConnectionGuard guard = connectionGuard;
        return guard == null ? 0 : guard.connections(address);
    }

    /** The port actually bound. */
    public int port() {
        return app.port();
    }

    /** Called when the listener stops or fails without {@link #close()} (the ingress then fails). */
    public void onUnexpectedStop(java.util.function.Consumer<String> listener) {
        this.onUnexpectedStop = Objects.requireNonNull(listener, "listener");
    }

    private void unexpectedStop(String why) {
        if (!closing) {
            onUnexpectedStop.accept(why);
        }
    }

    /** Stops accepting, lets requests in flight finish (up to the drain timeout), then stops. */
    @Override
    public void close() {
        closing = true;
        try {
            app.stop();
        } catch (RuntimeException e) {
            // Jetty stops anyway once the drain timeout passes, then reports the timeout: not a failure to stop
            if (!(e.getCause() instanceof java.util.concurrent.TimeoutException)) {
                throw e;
            }
            LOG.warn("Webhook listener stopped with requests still in flight after the drain timeout");
        }
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
        respondJson(ctx, status, text);
    }

    /** Writes {@code json}, already serialised, as the response with {@code status}. */
    static void respondJson(Context ctx, int status, String json) {
        ctx.status(status).contentType(JSON).result(json);
    }

    /** Writes a problem as {@code {"error": message}} with its status and headers. */
    static void respond(Context ctx, HttpProblem problem) {
        problem.headers().forEach(ctx::header);
        respondJson(ctx, problem.status(), problemJson(problem));
    }

    /** {@code {"error": message}}, the body of every problem, on any route. */
    static String problemJson(HttpProblem problem) {
        try {
            return Json.mapper().writeValueAsString(Json.mapper().createObjectNode().put("error", problem.getMessage()));
        } catch (JsonProcessingException e) {
            return "{\"error\":\"internal error\"}"; // a one-string object always serialises
        }
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
