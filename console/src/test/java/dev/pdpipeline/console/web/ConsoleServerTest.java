package dev.pdpipeline.console.web;

import static dev.pdpipeline.console.index.Decisions.bytes;
import static dev.pdpipeline.console.index.Decisions.decided;
import static dev.pdpipeline.console.index.Decisions.record;
import static dev.pdpipeline.console.index.Decisions.routed;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.pdpipeline.common.json.Json;
import dev.pdpipeline.common.trigger.TriggerSet;
import dev.pdpipeline.console.action.ActionException;
import dev.pdpipeline.console.action.RedriveAction;
import dev.pdpipeline.console.action.ReplayAction;
import dev.pdpipeline.console.index.ConsoleIndex;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class ConsoleServerTest {

    private static final String TOKEN = "0123456789abcdef-admin";
    private static final String HOSTILE = "<img src=x onerror=alert(1)>";
    private final HttpClient http = HttpClient.newHttpClient();
    private final List<String> replays = new ArrayList<>();
    private ConsoleServer server;

    private ConsoleIndex index() {
        ConsoleIndex index = new ConsoleIndex(100, 100, 10);
        index.addDecision(bytes(routed(record("e1", "Q1", HOSTILE, 0, "routed", "2026-12-01T10:00:00Z"), "diag",
                "diagnostic-agent", "r1")));
        index.addDecision(bytes(decided(record("e2", "Q2", "slow checkout", 1, "not_routed", "2026-12-01T10:00:01Z"),
                "diag", "rejected", "min_priority", "priority P4 is below P2")));
        index.addDeadLetter("pagerduty.webhooks.dlq", 0, 0, null, "{oops".getBytes(),
                Map.of("pdpipeline-dlq-reason", "not_json", "pdpipeline-dlq-source-topic", "pagerduty.webhooks.raw",
                        "pdpipeline-dlq-source-partition", "2", "pdpipeline-dlq-source-offset", "9"));
        return index;
    }

    private void start(String token) {
        ReplayAction replay = (incident, trigger) -> {
            if (!trigger.equals("diag")) {
                throw new ActionException(404, "trigger '" + trigger + "' is not in the Trigger files");
            }
            replays.add(incident + "/" + trigger);
            return new ReplayAction.Result("replay-1", 3, 1, 1);
        };
        java.util.Set<String> redriven = new java.util.HashSet<>();
        RedriveAction redrive = (topic, partition, offset) -> new RedriveAction.Result("pagerduty.webhooks.raw", 0, 99,
                !redriven.add(topic + "/" + partition + "/" + offset));
        server = ConsoleServer.start("127.0.0.1", 0, token, new ConsoleServer.Dependencies(index(), TriggerSet::empty,
                null, false, "pagerduty.webhooks.dlq", "agent.results.dlq", replay, redrive, Clock.systemUTC()));
    }

    @AfterEach
    void stop() {
        if (server != null) {
            server.close();
        }
    }

    private HttpResponse<String> get(String path) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + path)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private HttpResponse<String> post(String path, String body, String authorization) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + path))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body));
        if (authorization != null) {
            b.header("Authorization", authorization);
        }
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void pagesEscapeTextFromPagerDutyAndForbidInlineScripts() throws Exception {
        start(null);
        for (String path : List.of("/", "/incidents/Q1")) {
            HttpResponse<String> page = get(path);
            assertThat(page.statusCode()).isEqualTo(200);
            assertThat(page.body()).doesNotContain(HOSTILE).contains("&lt;img src=x onerror=alert(1)&gt;");
            String csp = page.headers().firstValue("Content-Security-Policy").orElseThrow();
            assertThat(csp).contains("script-src 'self'").doesNotContain("unsafe-inline");
            assertThat(page.body()).doesNotContainPattern("<script(?![^>]*\\bsrc=)");
        }
    }

    @Test
    void theDeliveriesApiHasTheDocumentedFields() throws Exception {
        start(null);
        JsonNode body = Json.mapper().readTree(get("/api/deliveries?outcome=filtered").body());

        JsonNode d = body.path("deliveries").get(0);
        assertThat(body.path("deliveries")).hasSize(1);
        assertThat(d.path("event_id").asText()).isEqualTo("e2");
        assertThat(d.path("summary").asText()).isEqualTo("filtered");
        assertThat(d.path("incident_number").asLong()).isEqualTo(42);
        assertThat(d.path("triggers").get(0).path("field").asText()).isEqualTo("min_priority");
        assertThat(body.path("per_minute")).hasSize(ConsoleIndex.CHART_MINUTES);
    }

    @Test
    void anUnknownIncidentIsA404InBothForms() throws Exception {
        start(null);
        assertThat(get("/api/incidents/NOPE").statusCode()).isEqualTo(404);
        assertThat(get("/incidents/NOPE").statusCode()).isEqualTo(404);
        assertThat(get("/api/deliveries?limit=0").statusCode()).isEqualTo(400);
    }

    @Test
    void actionsAreRefusedAndHiddenWithoutTheAdminToken() throws Exception {
        start(null);
        assertThat(post("/api/incidents/Q1/replay", "{\"trigger\":\"diag\"}", "Bearer " + TOKEN).statusCode())
                .isEqualTo(403);
        assertThat(get("/incidents/Q1").body()).doesNotContain("replay-form").doesNotContain("admin-token");
        assertThat(get("/dead-letters").body()).doesNotContain("Re-drive</button>");
        assertThat(replays).isEmpty();
    }

    @Test
    void actionsNeedTheRightBearerToken() throws Exception {
        start(TOKEN);
        assertThat(post("/api/incidents/Q1/replay", "{\"trigger\":\"diag\"}", null).statusCode()).isEqualTo(403);
        assertThat(post("/api/incidents/Q1/replay", "{\"trigger\":\"diag\"}", "Bearer wrong-token-123456").statusCode())
                .isEqualTo(403);
        assertThat(replays).isEmpty();

        HttpResponse<String> ok = post("/api/incidents/Q1/replay", "{\"trigger\":\"diag\"}", "Bearer " + TOKEN);
        assertThat(ok.statusCode()).isEqualTo(200);
        assertThat(Json.mapper().readTree(ok.body()).path("replay_id").asText()).isEqualTo("replay-1");
        assertThat(replays).containsExactly("Q1/diag");

        assertThat(post("/api/incidents/Q1/replay", "{\"trigger\":\"nope\"}", "Bearer " + TOKEN).statusCode()).isEqualTo(404);
        assertThat(post("/api/incidents/Q1/replay", "{}", "Bearer " + TOKEN).statusCode()).isEqualTo(400);
        assertThat(post("/api/incidents/Q1/replay", "not json", "Bearer " + TOKEN).statusCode()).isEqualTo(400);

        HttpResponse<String> first = post("/api/dead-letters/redrive",
                "{\"topic\":\"pagerduty.webhooks.dlq\",\"partition\":0,\"offset\":0}", "Bearer " + TOKEN);
        assertThat(first.statusCode()).isEqualTo(200);
        assertThat(Json.mapper().readTree(first.body()).path("already_redriven").isBoolean()).isTrue();
        assertThat(Json.mapper().readTree(first.body()).path("already_redriven").asBoolean()).isFalse();
        assertThat(Json.mapper().readTree(first.body()).path("offset").asLong()).isEqualTo(99);
        HttpResponse<String> second = post("/api/dead-letters/redrive",
                "{\"topic\":\"pagerduty.webhooks.dlq\",\"partition\":0,\"offset\":0}", "Bearer " + TOKEN);
        assertThat(second.statusCode()).isEqualTo(200);
        assertThat(Json.mapper().readTree(second.body()).path("already_redriven").asBoolean()).isTrue();
        assertThat(post("/api/dead-letters/redrive", "{\"topic\":\"agent.results\",\"partition\":0,\"offset\":0}",
                "Bearer " + TOKEN).statusCode()).isEqualTo(400);
        assertThat(get("/incidents/Q1").body()).contains("replay-form").doesNotContain(TOKEN);
    }

    @Test
    void healthIsLiveUntilAPartFailsAndReadyOnlyWhenEveryPartIsUp() throws Exception {
        java.util.concurrent.atomic.AtomicReference<String> state = new java.util.concurrent.atomic.AtomicReference<>("UP");
        server = ConsoleServer.start("127.0.0.1", 0, null, new ConsoleServer.Dependencies(index(), TriggerSet::empty,
                null, false, "pagerduty.webhooks.dlq", "agent.results.dlq", null, null, Clock.systemUTC(),
                () -> Map.of("console-index", Map.of("state", state.get()))));
        assertThat(get("/health/live").statusCode()).isEqualTo(200);
        assertThat(get("/health/ready").statusCode()).isEqualTo(200);
        assertThat(Json.mapper().readTree(get("/health/ready").body()).at("/parts/console-index").asText()).isEqualTo("UP");

        state.set("DEGRADED"); // e.g. the cluster is unreachable: still live, not ready
        assertThat(get("/health/live").statusCode()).isEqualTo(200);
        assertThat(get("/health/ready").statusCode()).isEqualTo(503);

        state.set("FAILED");
        assertThat(get("/health/live").statusCode()).isEqualTo(503);
        assertThat(Json.mapper().readTree(get("/health/live").body()).path("status").asText()).isEqualTo("DOWN");
    }

    @Test
    void theDeadLettersPageShowsReasonAndSource() throws Exception {
        start(null);
        String body = get("/dead-letters").body();
        assertThat(body).contains("not_json", "pagerduty.webhooks.raw-2@9");
        JsonNode api = Json.mapper().readTree(get("/api/dead-letters").body());
        assertThat(api.path("dead_letters").get(0).path("reason").asText()).isEqualTo("not_json");
        assertThat(api.path("dead_letters").get(0).path("source_offset").asLong()).isEqualTo(9);
    }

    @Test
    void theIncidentPageShowsTheRecordedDecisionEvenWhenTheTriggerIsNoLongerInForce() throws Exception {
        start(null); // the Trigger files in force are empty now: "diag" was removed after it decided
        String page = get("/incidents/Q2").body();
        assertThat(page).contains("diag", "rejected by min_priority: priority P4 is below P2");
        assertThat(Json.mapper().readTree(get("/api/incidents/Q2").body()).at("/events/0/triggers/0/decision").asText())
                .isEqualTo("rejected");
    }

    @Test
    void onlyWebLinksBecomeLinks() {
        assertThat(Views.safeUrl("javascript:alert(1)")).isNull();
        assertThat(Views.safeUrl("https://x.pagerduty.com/incidents/Q1")).isEqualTo("https://x.pagerduty.com/incidents/Q1");
    }
}
