package dev.pdpipeline.common.management;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import dev.pdpipeline.common.health.Health;
import dev.pdpipeline.common.json.Json;
import com.sun.net.httpserver.HttpServer;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Health and metrics endpoints on their own port, apart from the public webhook port, so that
 * probes and Prometheus never share a listener (or a firewall rule) with PagerDuty's traffic.
 *
 * <p>Built on the JDK's HTTP server so that {@code common} stays free of Javalin and the
 * processor can serve it too. Several services can register readiness checks on one server (the
 * local run shares one port).
 *
 * <ul>
 *   <li>{@code GET /health/live}: 200 while no part of the process's {@link Health} has failed
 *       for good ({@code status} {@code UP}, or {@code DEGRADED} when a part is only impaired),
 *       503 with {@code status} {@code DOWN} and the {@code failed} part, its reason and time once
 *       one has; {@code parts} lists every part with its state.</li>
 *   <li>{@code GET /health/ready}: 200 when the process is live and every registered check
 *       passes, else 503; the body lists each check (and {@code live}).</li>
 *   <li>{@code GET /metrics}: Prometheus text format.</li>
 * </ul>
 */
public final class ManagementServer implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(ManagementServer.class);

    private final HttpServer server;
    private final ExecutorService executor;
    private final PrometheusMeterRegistry registry;
    private final Map<String, BooleanSupplier> readiness = new LinkedHashMap<>();
    private final Health health;

    private ManagementServer(HttpServer server, PrometheusMeterRegistry registry, Health health) {
        this.server = server;
        this.registry = registry;
        this.health = health;
        this.executor = Executors.newFixedThreadPool(2, r -> {
            Thread t = new Thread(r, "management-http");
            t.setDaemon(true);
            return t;
        });
        server.setExecutor(executor);
        server.createContext("/health/live", this::live);
        server.createContext("/health/ready", this::ready);
        server.createContext("/metrics", this::metrics);
        server.createContext("/", exchange -> respond(exchange, 404, "application/json", "{\"error\":\"not found\"}"));
    }

    /**
     * Starts the server.
     *
     * @param host     interface to bind ({@code 0.0.0.0} for all)
     * @param port     port, 0 for a free one
     * @param registry the registry whose meters {@code /metrics} serves
     */
    public static ManagementServer start(String host, int port, PrometheusMeterRegistry registry) {
        return start(host, port, registry, new Health());
    }

    /**
     * Starts the server, {@code /health/live} answering from {@code health} (whose gauges are
     * bound to {@code registry}).
     */
    public static ManagementServer start(String host, int port, PrometheusMeterRegistry registry, Health health) {
        Objects.requireNonNull(registry, "registry");
        Objects.requireNonNull(health, "health");
        health.bindTo(registry);
        try {
            HttpServer server = HttpServer.create(new InetSocketAddress(host, port), 0);
            ManagementServer management = new ManagementServer(server, registry, health);
            server.start();
            LOG.info("Management endpoints on http://{}:{}/ (health/live, health/ready, metrics)",
                    host, server.getAddress().getPort());
            return management;
        } catch (IOException e) {
            throw new IllegalStateException("cannot bind the management port " + host + ":" + port + ": " + e.getMessage(), e);
        }
    }

    /** Adds a readiness check; {@code /health/ready} answers 200 only when all pass. */
    public synchronized ManagementServer addReadinessCheck(String name, BooleanSupplier check) {
        readiness.put(Objects.requireNonNull(name, "name"), Objects.requireNonNull(check, "check"));
        return this;
    }

    /** The port actually bound. */
    public int port() {
        return server.getAddress().getPort();
    }

    /** Whether every readiness check passes now. */
    public synchronized boolean isReady() {
        return health.isLive() && readiness.values().stream().allMatch(ManagementServer::safely);
    }

    /** The health this server reports on {@code /health/live}. */
    public Health health() {
        return health;
    }

    private void live(HttpExchange exchange) throws IOException {
        if (!isGet(exchange)) {
            return;
        }
        boolean live = health.isLive();
        respond(exchange, live ? 200 : 503, "application/json", liveBody(health));
    }

    /** The {@code /health/live} body: status, the first failure (when any) and every part. */
    static String liveBody(Health health) {
        ObjectNode body = Json.mapper().createObjectNode();
        Optional<Health.Failure> failure = health.failure();
        Map<String, Health.Status> parts = health.parts();
        boolean degraded = parts.values().stream().anyMatch(s -> s.state() == Health.State.DEGRADED);
        body.put("status", failure.isPresent() ? "DOWN" : degraded ? "DEGRADED" : "UP");
        failure.ifPresent(f -> {
            ObjectNode failed = body.putObject("failed");
            failed.put("part", f.part());
            failed.put("reason", f.reason());
            failed.put("at", f.at().toString());
        });
        ObjectNode partsNode = body.putObject("parts");
        parts.forEach((name, status) -> {
            ObjectNode part = partsNode.putObject(name);
            part.put("state", status.state().name());
            if (!status.reason().isEmpty()) {
                part.put("reason", status.reason());
            }
            part.put("since", status.since().toString());
        });
        try {
            return Json.mapper().writeValueAsString(body);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    private void ready(HttpExchange exchange) throws IOException {
        if (!isGet(exchange)) {
            return;
        }
        StringBuilder checks = new StringBuilder();
        boolean all = health.isLive();
        checks.append("\"live\":\"").append(all ? "UP" : "DOWN").append('"');
        synchronized (this) {
            for (Map.Entry<String, BooleanSupplier> e : readiness.entrySet()) {
                boolean ok = safely(e.getValue());
                all &= ok;
                if (checks.length() > 0) {
                    checks.append(',');
                }
                checks.append('"').append(e.getKey()).append("\":\"").append(ok ? "UP" : "DOWN").append('"');
            }
        }
        String body = "{\"status\":\"" + (all ? "UP" : "DOWN") + "\",\"checks\":{" + checks + "}}";
        respond(exchange, all ? 200 : 503, "application/json", body);
    }

    private void metrics(HttpExchange exchange) throws IOException {
        if (!isGet(exchange)) {
            return;
        }
        respond(exchange, 200, "text/plain; version=0.0.4; charset=utf-8", registry.scrape());
    }

    private static boolean isGet(HttpExchange exchange) throws IOException {
        if ("GET".equals(exchange.getRequestMethod()) || "HEAD".equals(exchange.getRequestMethod())) {
            return true;
        }
        exchange.getResponseHeaders().add("Allow", "GET");
        respond(exchange, 405, "application/json", "{\"error\":\"method not allowed\"}");
        return false;
    }

    private static boolean safely(BooleanSupplier check) {
        try {
            return check.getAsBoolean();
        } catch (RuntimeException e) {
            return false;
        }
    }

    private static void respond(HttpExchange exchange, int status, String contentType, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", contentType);
        boolean head = "HEAD".equals(exchange.getRequestMethod());
        exchange.sendResponseHeaders(status, head ? -1 : bytes.length);
        try (OutputStream out = exchange.getResponseBody()) {
            if (!head) {
                out.write(bytes);
            }
        }
    }

    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
    }
}
