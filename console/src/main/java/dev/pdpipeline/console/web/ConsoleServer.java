package dev.pdpipeline.console.web;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.pdpipeline.common.json.Json;
import dev.pdpipeline.common.trigger.Trigger;
import dev.pdpipeline.common.trigger.TriggerSet;
import dev.pdpipeline.console.action.ActionException;
import dev.pdpipeline.console.action.RedriveAction;
import dev.pdpipeline.console.action.ReplayAction;
import dev.pdpipeline.console.index.ConsoleIndex;
import dev.pdpipeline.console.index.DeadLetter;
import dev.pdpipeline.console.index.DeliveryFilter;
import dev.pdpipeline.console.index.IncidentView;
import dev.pdpipeline.console.index.TriggerCounts;
import gg.jte.ContentType;
import gg.jte.TemplateEngine;
import gg.jte.output.StringOutput;
import io.javalin.Javalin;
import io.javalin.http.Context;
import io.javalin.http.HttpResponseException;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Supplier;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.ServerConnector;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The console's HTTP server: server-rendered pages (JTE, escaped by the engine) and the same data
 * as JSON under {@code /api}. Reading needs nothing; the two actions need
 * {@code Authorization: Bearer <CONSOLE_ADMIN_TOKEN>} (a header, not a cookie, so a cross-site
 * form cannot trigger them).
 */
public final class ConsoleServer implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(ConsoleServer.class);

    /** No inline script or style anywhere: every script is a file of this server. */
    public static final String CONTENT_SECURITY_POLICY = "default-src 'none'; script-src 'self'; style-src 'self'; "
            + "img-src 'self'; connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";
    private static final int DEFAULT_LIMIT = 100;
    private static final int MAX_LIMIT = 1000;
    private static final String JSON = "application/json";

    /** What the server shows and does; actions are null when not available. */
    public record Dependencies(ConsoleIndex index, Supplier<TriggerSet> triggers, String triggersPath,
            boolean defaultApiTokenSet, String rawDeadLetterTopic, String resultsDeadLetterTopic,
            ReplayAction replay, RedriveAction redrive, Clock clock, Supplier<Map<String, ?>> health) {
        /** Without a health view (tests). */
        public Dependencies(ConsoleIndex index, Supplier<TriggerSet> triggers, String triggersPath,
                boolean defaultApiTokenSet, String rawDeadLetterTopic, String resultsDeadLetterTopic,
                ReplayAction replay, RedriveAction redrive, Clock clock) {
            this(index, triggers, triggersPath, defaultApiTokenSet, rawDeadLetterTopic, resultsDeadLetterTopic,
                    replay, redrive, clock, null);
        }

        public Dependencies {
            health = health == null ? Map::of : health;
            Objects.requireNonNull(index, "index");
            Objects.requireNonNull(triggers, "triggers");
            Objects.requireNonNull(clock, "clock");
        }
    }

    private final Dependencies deps;
    private final byte[] adminTokenBytes;
    private final TemplateEngine templates;
    private final ObjectMapper json;
    private final Javalin app;

    private ConsoleServer(String host, int port, String adminToken, Dependencies deps) {
        this.deps = deps;
        this.adminTokenBytes = adminToken == null ? null : adminToken.getBytes(StandardCharsets.UTF_8);
        this.templates = TemplateEngine.createPrecompiled(null, ContentType.Html, null,
                "dev.pdpipeline.console.templates");
        this.json = Json.mapper().copy().setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
                .enable(SerializationFeature.INDENT_OUTPUT);
        this.app = Javalin.create(config -> {
            config.startup.showJavalinBanner = false;
            config.startup.showOldJavalinVersionWarning = false;
            config.http.maxRequestSize = 64 * 1024;
            config.jetty.modifyHttpConfiguration(http -> {
                http.setSendServerVersion(false);
                http.setSendXPoweredBy(false);
            });
            config.jetty.addConnector((server, http) -> {
                ServerConnector connector = new ServerConnector(server, new HttpConnectionFactory(http));
                connector.setHost(host);
                connector.setPort(port);
                return connector;
            });
            config.routes.before(ConsoleServer::securityHeaders);
            config.routes.get("/", this::deliveriesPage);
            config.routes.get("/api/deliveries", this::deliveriesApi);
            config.routes.get("/incidents", this::gotoIncident);
            config.routes.get("/incidents/{id}", this::incidentPage);
            config.routes.get("/api/incidents/{id}", this::incidentApi);
            config.routes.post("/api/incidents/{id}/replay", this::replay);
            config.routes.get("/dead-letters", this::deadLettersPage);
            config.routes.get("/api/dead-letters", this::deadLettersApi);
            config.routes.post("/api/dead-letters/redrive", this::redrive);
            config.routes.get("/triggers", this::triggersPage);
            config.routes.get("/api/triggers", this::triggersApi);
            config.routes.get("/api/status", this::status);
            config.routes.get("/health/live", this::live);
            config.routes.get("/health/ready", this::ready);
            config.routes.get("/static/console.js", ctx -> staticFile(ctx, "console.js", "text/javascript"));
            config.routes.get("/static/console.css", ctx -> staticFile(ctx, "console.css", "text/css"));
            config.routes.exception(HttpResponseException.class, this::httpProblem);
            config.routes.exception(ActionException.class, (e, ctx) -> problem(ctx, e.status(), e.getMessage()));
            config.routes.exception(Exception.class, this::unexpected);
            config.routes.error(404, ctx -> {
                if (ctx.result() == null) {
                    problem(ctx, 404, "no such page: " + ctx.path());
                }
            });
        });
    }

    /**
     * Starts listening.
     *
     * @param adminToken the bearer token the actions need, or null to disable them
     */
    public static ConsoleServer start(String host, int port, String adminToken, Dependencies deps) {
        ConsoleServer server = new ConsoleServer(host, port, adminToken, Objects.requireNonNull(deps, "deps"));
        server.app.start();
        LOG.info("Console on http://{}:{}/ (actions {})", host, server.port(),
                adminToken == null ? "disabled: CONSOLE_ADMIN_TOKEN is not set" : "enabled with CONSOLE_ADMIN_TOKEN");
        return server;
    }

    public int port() {
        return app.port();
    }

    private boolean actionsEnabled() {
        return adminTokenBytes != null;
    }

    // ---------------------------------------------------------------- pages and API

    private Pages.DeliveriesPage deliveries(Context ctx) {
        DeliveryFilter filter = new DeliveryFilter(ctx.queryParam("service"), ctx.queryParam("trigger"),
                ctx.queryParam("agent"), ctx.queryParam("outcome"));
        int limit = limit(ctx);
        Instant now = deps.clock().instant();
        return new Pages.DeliveriesPage(deps.index().recent(filter, limit), filter, deps.index().facets(),
                Chart.of(deps.index().perMinute(now)), deps.index().stats(), now.toString());
    }

    private void deliveriesPage(Context ctx) {
        render(ctx, "deliveries.jte", deliveries(ctx));
    }

    private void deliveriesApi(Context ctx) {
        Pages.DeliveriesPage page = deliveries(ctx);
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("generated_at", page.generatedAt());
        out.put("filter", page.filter());
        out.put("deliveries", page.deliveries());
        out.put("per_minute", deps.index().perMinute(Instant.parse(page.generatedAt())));
        out.put("index", page.index());
        writeJson(ctx, 200, out);
    }

    private IncidentView incident(Context ctx) {
        String id = ctx.pathParam("id");
        return deps.index().incident(id, this::isDryRun).orElseThrow(() -> new io.javalin.http.NotFoundResponse(
                "the console has nothing about incident " + id + " (not in the topics it read, or evicted)"));
    }

    private boolean isDryRun(String triggerName) {
        if (deps.defaultApiTokenSet()) {
            return false;
        }
        return deps.triggers().get().byName(triggerName).map(t -> t.apiToken() == null || t.apiToken().isBlank())
                .orElse(false);
    }

    private void incidentPage(Context ctx) {
        render(ctx, "incident.jte", new Pages.IncidentPage(incident(ctx),
                deps.triggers().get().triggers().stream().map(Trigger::name).toList(),
                actionsEnabled() && deps.replay() != null));
    }

    /** The header's "incident id" box, which works without script too. */
    private void gotoIncident(Context ctx) {
        String id = ctx.queryParam("id");
        if (id == null || !id.trim().matches("[A-Za-z0-9_-]{1,100}")) {
            throw new io.javalin.http.BadRequestResponse("give an incident id (letters, digits, '_' and '-')");
        }
        ctx.redirect("/incidents/" + id.trim());
    }

    private void incidentApi(Context ctx) {
        writeJson(ctx, 200, incident(ctx));
    }

    private Pages.DeadLettersPage deadLetters(Context ctx) {
        String topic = ctx.queryParam("topic");
        return new Pages.DeadLettersPage(deps.index().deadLetters(topic == null || topic.isBlank() ? null : topic,
                limit(ctx)), deps.rawDeadLetterTopic(), deps.resultsDeadLetterTopic(),
                actionsEnabled() && deps.redrive() != null);
    }

    private void deadLettersPage(Context ctx) {
        render(ctx, "dead-letters.jte", deadLetters(ctx));
    }

    private void deadLettersApi(Context ctx) {
        writeJson(ctx, 200, Map.of("dead_letters", deadLetters(ctx).deadLetters()));
    }

    private Pages.TriggersPage triggers() {
        Map<String, TriggerCounts> counts = new LinkedHashMap<>();
        deps.index().triggerCounts().forEach(c -> counts.put(c.trigger(), c));
        List<Pages.TriggerRow> rows = deps.triggers().get().triggers().stream().map(t -> {
            TriggerCounts c = counts.getOrDefault(t.name(), new TriggerCounts(t.name(), 0, 0, 0, 0, 0));
            return new Pages.TriggerRow(t.name(), t.namespace(), t.source() == null ? null : t.source().toString(),
                    t.agent(), t.enabled(), "****", t.secretFingerprint(),
                    t.apiToken() == null || t.apiToken().isBlank() ? null : "****", t.botName(), t.eventTypes(),
                    t.allowedServices(), t.allowedTeams(), t.minPriority() == null ? null : t.minPriority().toString(),
                    t.minUrgency() == null ? null : t.minUrgency().toString(), t.filter(), c.routed(), c.rejected(),
                    c.duplicate());
        }).toList();
        return new Pages.TriggersPage(rows, deps.triggersPath(),
                deps.triggersPath() == null ? "TRIGGERS_PATH is not set: no Trigger files are loaded" : null);
    }

    private void triggersPage(Context ctx) {
        render(ctx, "triggers.jte", triggers());
    }

    private void triggersApi(Context ctx) {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("triggers", triggers().triggers());
        out.put("counts", deps.index().triggerCounts());
        writeJson(ctx, 200, out);
    }

    private void status(Context ctx) {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("index", deps.index().stats());
        out.put("health", deps.health().get());
        out.put("actions_enabled", actionsEnabled());
        writeJson(ctx, 200, out);
    }

    /** 200 while no part of the console has failed, else 503; for container health checks. */
    private void live(Context ctx) {
        Map<String, String> states = partStates();
        boolean live = !states.containsValue("FAILED");
        writeJson(ctx, live ? 200 : 503, Map.of("status", live ? "UP" : "DOWN", "parts", states));
    }

    /** 200 when every part of the console is UP (its index reads the topics), else 503. */
    private void ready(Context ctx) {
        Map<String, String> states = partStates();
        boolean ready = states.values().stream().allMatch("UP"::equals);
        writeJson(ctx, ready ? 200 : 503, Map.of("status", ready ? "UP" : "DOWN", "parts", states));
    }

    /** Part name to state ({@code UP}, {@code DEGRADED}, {@code FAILED}), from the health view. */
    private Map<String, String> partStates() {
        Map<String, String> states = new java.util.TreeMap<>();
        deps.health().get().forEach((part, status) -> states.put(part,
                status instanceof Map<?, ?> m && m.get("state") != null ? String.valueOf(m.get("state")) : "UP"));
        return states;
    }

    // ---------------------------------------------------------------- actions

    private void requireAdmin(Context ctx) {
        if (adminTokenBytes == null) {
            throw new io.javalin.http.ForbiddenResponse("actions are disabled: CONSOLE_ADMIN_TOKEN is not set");
        }
        String header = ctx.header("Authorization");
        byte[] given = header != null && header.regionMatches(true, 0, "Bearer ", 0, 7)
                ? header.substring(7).trim().getBytes(StandardCharsets.UTF_8) : new byte[0];
        if (!MessageDigest.isEqual(given, adminTokenBytes)) {
            throw new io.javalin.http.ForbiddenResponse("this action needs Authorization: Bearer <CONSOLE_ADMIN_TOKEN>");
        }
    }

    private JsonNode body(Context ctx) {
        try {
            JsonNode body = Json.mapper().readTree(ctx.bodyAsBytes());
            if (body == null || !body.isObject()) {
                throw new io.javalin.http.BadRequestResponse("the body must be a JSON object");
            }
            return body;
        } catch (IOException e) {
            throw new io.javalin.http.BadRequestResponse("the body is not JSON");
        }
    }

    private void replay(Context ctx) {
        requireAdmin(ctx);
        if (deps.replay() == null) {
            throw new ActionException(501, "replay is not available in this process");
        }
        String trigger = body(ctx).path("trigger").asText("");
        if (trigger.isBlank()) {
            throw new io.javalin.http.BadRequestResponse("give the trigger: {\"trigger\": \"name\"}");
        }
        String id = ctx.pathParam("id");
        ReplayAction.Result r = deps.replay().replay(id, trigger);
        LOG.info("Console replay {} of incident {} to trigger {}: {} sent", r.replayId(), id, trigger, r.sent());
        writeJson(ctx, 200, r);
    }

    private void redrive(Context ctx) {
        requireAdmin(ctx);
        if (deps.redrive() == null) {
            throw new ActionException(501, "re-drive is not available in this process");
        }
        JsonNode body = body(ctx);
        if (!body.path("topic").isTextual() || !body.path("partition").canConvertToInt()
                || !body.path("offset").canConvertToLong()) {
            throw new io.javalin.http.BadRequestResponse("give the dead letter: {\"topic\": ..., \"partition\": ..., \"offset\": ...}");
        }
        String topic = body.path("topic").asText();
        if (!topic.equals(deps.rawDeadLetterTopic()) && !topic.equals(deps.resultsDeadLetterTopic())) {
            throw new io.javalin.http.BadRequestResponse("'" + topic + "' is not a dead-letter topic");
        }
        RedriveAction.Result r = deps.redrive().redrive(topic, body.path("partition").asInt(), body.path("offset").asLong());
        LOG.info("Console re-drive of {}-{}@{} to {}-{}@{} (already re-driven before: {})", topic,
                body.path("partition").asInt(), body.path("offset").asLong(), r.topic(), r.partition(), r.offset(),
                r.alreadyRedriven());
        writeJson(ctx, 200, r);
    }

    // ---------------------------------------------------------------- plumbing

    private static void securityHeaders(Context ctx) {
        ctx.header("Content-Security-Policy", CONTENT_SECURITY_POLICY);
        ctx.header("X-Content-Type-Options", "nosniff");
        ctx.header("Referrer-Policy", "no-referrer");
        ctx.header("X-Frame-Options", "DENY");
        ctx.header("Cache-Control", "no-store");
    }

    private static int limit(Context ctx) {
        String l = ctx.queryParam("limit");
        if (l == null || l.isBlank()) {
            return DEFAULT_LIMIT;
        }
        try {
            int n = Integer.parseInt(l.trim());
            if (n < 1 || n > MAX_LIMIT) {
                throw new NumberFormatException();
            }
            return n;
        } catch (NumberFormatException e) {
            throw new io.javalin.http.BadRequestResponse("limit must be a number from 1 to " + MAX_LIMIT);
        }
    }

    private void render(Context ctx, String template, Object model) {
        StringOutput out = new StringOutput();
        templates.render(template, Map.of("page", model), out);
        ctx.contentType("text/html; charset=utf-8").result(out.toString());
    }

    private void writeJson(Context ctx, int status, Object body) {
        try {
            ctx.status(status).contentType(JSON).result(json.writeValueAsBytes(body));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private void httpProblem(HttpResponseException e, Context ctx) {
        problem(ctx, e.getStatus(), e.getMessage());
    }

    private void problem(Context ctx, int status, String message) {
        securityHeaders(ctx);
        if (ctx.path().startsWith("/api/")) {
            writeJson(ctx, status, Map.of("status", status, "error", message));
        } else {
            ctx.status(status);
            render(ctx, "error.jte", new Pages.ErrorPage(status, message));
        }
    }

    private void unexpected(Exception e, Context ctx) {
        LOG.error("Console request {} {} failed", ctx.method(), ctx.path(), e);
        problem(ctx, 500, "internal error (see the console's log)");
    }

    private static void staticFile(Context ctx, String name, String type) {
        try (InputStream in = ConsoleServer.class.getResourceAsStream("/console/static/" + name)) {
            if (in == null) {
                throw new io.javalin.http.NotFoundResponse("no such file");
            }
            ctx.contentType(type + "; charset=utf-8").header("Cache-Control", "max-age=300").result(in.readAllBytes());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void close() {
        app.stop();
    }

    /** For tests and the templates: the dead letter a row re-drives. */
    static String coordinates(DeadLetter d) {
        return d.coordinates();
    }
}
