package dev.pdpipeline.launcher.pagerduty;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.pdpipeline.launcher.Pipeline;
import dev.pdpipeline.launcher.cli.Environment;
import dev.pdpipeline.processor.fakepd.FakePagerDuty;
import dev.pdpipeline.processor.fakepd.FakeWebhookSubscriptions;
import dev.pdpipeline.processor.fakepd.OpenApiConformance;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code bin/pipeline pagerduty subscribe|subscriptions|ping} against the fake PagerDuty. */
class PagerDutyCommandTest {

    private static final String TOKEN = "onboarding-token";

    @TempDir
    Path dir;

    private FakeWebhookSubscriptions pagerDuty;
    private Path triggers;

    @BeforeEach
    void start() throws Exception {
        pagerDuty = FakeWebhookSubscriptions.start(TOKEN);
        triggers = Files.createDirectory(dir.resolve("triggers"));
        Files.writeString(triggers.resolve("a.yaml"), """
                apiVersion: aof.sh/v1
                kind: Trigger
                metadata:
                  name: diagnose
                spec:
                  agent: diagnostic-agent
                  platform:
                    type: pagerduty
                    config:
                      webhook_secret: ${PAGERDUTY_WEBHOOK_SECRET}
                      event_types: [incident.triggered, incident.escalated]
                ---
                apiVersion: aof.sh/v1
                kind: Trigger
                metadata:
                  name: cleanup
                spec:
                  agent: cleanup-agent
                  platform:
                    type: pagerduty
                    config:
                      webhook_secret: ${PAGERDUTY_WEBHOOK_SECRET}
                      event_types: [incident.resolved, incident.triggered]
                """);
        environment(TOKEN);
    }

    @AfterEach
    void stop() {
        Environment.override(null);
        pagerDuty.close();
    }

    @Test
    void subscribeCreatesTheSubscriptionForTheTriggersEventTypesAndKeepsTheSecretInAPrivateFile() throws Exception {
        Path secretFile = dir.resolve("webhook.secret");

        Run run = run("pagerduty", "subscribe", "--url", "https://pd.example.com/webhooks/pagerduty",
                "--service", "PSERVICE1", "--secret-file", secretFile.toString());

        assertThat(run.exit).as(run.err).isZero();
        FakeWebhookSubscriptions.Subscription created = pagerDuty.subscriptions().values().iterator().next();
        assertThat(created.events()).containsExactlyInAnyOrder("incident.escalated", "incident.resolved",
                "incident.triggered");
        assertThat(created.filterType()).isEqualTo("service_reference");
        assertThat(created.filterId()).isEqualTo("PSERVICE1");
        assertThat(created.url()).isEqualTo("https://pd.example.com/webhooks/pagerduty");
        assertThat(Files.readString(secretFile)).isEqualTo(created.secret());
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(secretFile))).isEqualTo("rw-------");
        assertThat(run.out + run.err).doesNotContain(created.secret());
        assertThat(run.out).contains(created.id()).contains("webhook_secret: ${PAGERDUTY_WEBHOOK_SECRET}")
                .contains("- incident.resolved");
    }

    @Test
    void subscribeForTheAccountWithExplicitEventTypes() {
        Run run = run("pagerduty", "subscribe", "--url", "https://pd.example.com/webhooks/pagerduty", "--account",
                "--event-types", "incident.triggered,incident.acknowledged", "--secret-file",
                dir.resolve("s").toString());

        assertThat(run.exit).as(run.err).isZero();
        FakeWebhookSubscriptions.Subscription created = pagerDuty.subscriptions().values().iterator().next();
        assertThat(created.filterType()).isEqualTo("account_reference");
        assertThat(created.filterId()).isNull();
        assertThat(created.events()).containsExactly("incident.triggered", "incident.acknowledged");
    }

    @Test
    void aTriggerWithoutEventTypesSubscribesEveryIncidentEventType() throws Exception {
        Files.writeString(triggers.resolve("b.yaml"), """
                apiVersion: aof.sh/v1
                kind: Trigger
                metadata:
                  name: everything
                spec:
                  agent: audit-agent
                  platform:
                    type: pagerduty
                    config:
                      webhook_secret: ${PAGERDUTY_WEBHOOK_SECRET}
                """);

        assertThat(run("pagerduty", "subscribe", "--url", "https://pd.example.com/w", "--account", "--secret-file",
                dir.resolve("s").toString()).exit).isZero();
        assertThat(pagerDuty.subscriptions().values().iterator().next().events())
                .containsExactlyElementsOf(TriggerEventTypes.INCIDENT_EVENT_TYPES);
    }

    @Test
    void theListOfIncidentEventTypesMatchesPagerDutysOwn() throws Exception {
        String shared = System.getProperty("pdpipeline.shared.dir");
        Path tsv = shared == null ? null : Path.of(shared, "pagerduty", "event-types.tsv");
        assumeTrue(tsv != null && Files.isRegularFile(tsv), "../shared not present: PagerDuty's event type list ("
                + tsv + ") is needed for this check");
        Set<String> incidentTypes = Files.readAllLines(tsv).stream().skip(1).map(l -> l.split("\t")[0])
                .filter(t -> t.startsWith("incident.")).collect(Collectors.toCollection(TreeSet::new));

        assertThat(new TreeSet<>(TriggerEventTypes.INCIDENT_EVENT_TYPES)).isEqualTo(incidentTypes);
    }

    @Test
    void subscriptionsListsAndPingAsksPagerDutyForAPing() {
        run("pagerduty", "subscribe", "--url", "https://pd.example.com/w", "--service", "PSVC", "--secret-file",
                dir.resolve("s").toString());
        String id = pagerDuty.subscriptions().keySet().iterator().next();

        Run list = run("pagerduty", "subscriptions");
        assertThat(list.exit).isZero();
        assertThat(list.out).contains(id).contains("https://pd.example.com/w").contains("PSVC").contains("active");
        Run json = run("pagerduty", "subscriptions", "--json");
        assertThat(json.out).contains("\"id\":\"" + id + "\"").doesNotContain("secret");

        Run ping = run("pagerduty", "ping", id);
        assertThat(ping.exit).as(ping.err).isZero();
        assertThat(pagerDuty.pings()).containsExactly(id);

        Run unknown = run("pagerduty", "ping", "PNOSUCH");
        assertThat(unknown.exit).isEqualTo(1);
        assertThat(unknown.err).contains("404");
    }

    @Test
    void everyRequestSatisfiesPagerDutysOpenApiDocument() throws Exception {
        Optional<OpenApiConformance> openApi = OpenApiConformance.load();
        assumeTrue(openApi.isPresent(), "../shared not present: PagerDuty's OpenAPI document is needed for the"
                + " conformance check");
        run("pagerduty", "subscribe", "--url", "https://pd.example.com/w", "--service", "PSVC", "--secret-file",
                dir.resolve("s").toString());
        run("pagerduty", "subscribe", "--url", "https://pd.example.com/w", "--account", "--secret-file",
                dir.resolve("t").toString());
        run("pagerduty", "subscriptions", "--service", "PSVC");
        run("pagerduty", "ping", pagerDuty.subscriptions().keySet().iterator().next());

        List<FakePagerDuty.Request> requests = pagerDuty.requests();
        assertThat(requests).hasSize(4).allMatch(FakePagerDuty.Request::accepted);
        for (FakePagerDuty.Request request : requests) {
            assertThat(openApi.get().check(request)).as("%s %s", request.method(), request.path()).isEmpty();
        }
    }

    @Test
    void refusesToOverwriteASecretFileAndCallsNothing() throws Exception {
        Path existing = Files.writeString(dir.resolve("old.secret"), "keep me");

        Run run = run("pagerduty", "subscribe", "--url", "https://pd.example.com/w", "--account", "--secret-file",
                existing.toString());

        assertThat(run.exit).isEqualTo(2);
        assertThat(run.err).contains("exists");
        assertThat(Files.readString(existing)).isEqualTo("keep me");
        assertThat(pagerDuty.requests()).isEmpty();
    }

    @Test
    void usageAndConfigurationErrors() {
        assertThat(run("pagerduty", "subscribe", "--url", "http://insecure.example.com/w", "--account",
                "--secret-file", dir.resolve("s").toString()).exit).isEqualTo(2);
        assertThat(run("pagerduty", "subscribe", "--url", "https://x.example.com/w", "--account", "--service", "P1",
                "--secret-file", dir.resolve("s").toString()).exit).isEqualTo(2);
        assertThat(run("pagerduty", "subscribe", "--url", "https://x.example.com/w", "--secret-file",
                dir.resolve("s").toString()).exit).isEqualTo(2);

        Environment.override(Map.of("PAGERDUTY_API_URL", pagerDuty.url().toString()));
        Run noToken = run("pagerduty", "subscriptions");
        assertThat(noToken.exit).isEqualTo(3);
        assertThat(noToken.err).contains("PAGERDUTY_API_TOKEN");
    }

    @Test
    void aRejectedTokenExitsOneWithPagerDutysAnswerAndNeverPrintsTheToken() {
        environment("not-the-token");

        Run run = run("pagerduty", "subscriptions");

        assertThat(run.exit).isEqualTo(1);
        assertThat(run.err).contains("401");
        assertThat(run.out + run.err).doesNotContain("not-the-token");
    }

    @Test
    void everySubcommandHasHelpWithExitCodes() {
        for (String sub : List.of("subscribe", "subscriptions", "ping")) {
            Run help = run("pagerduty", sub, "--help");
            assertThat(help.exit).isZero();
            assertThat(help.out).contains("Exit codes");
        }
        assertThat(run("pagerduty", "subscribe", "--help").out).contains("--url").contains("--service")
                .contains("--account").contains("--event-types").contains("--secret-file");
    }

    private void environment(String token) {
        Map<String, String> env = new HashMap<>();
        env.put("PAGERDUTY_API_URL", pagerDuty.url().toString());
        env.put("PAGERDUTY_API_TOKEN", token);
        env.put("TRIGGERS_PATH", triggers.toString());
        Environment.override(env);
    }

    private record Run(int exit, String out, String err) {
    }

    private static Run run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        var cli = Pipeline.commandLine();
        cli.setOut(new PrintWriter(out, true));
        cli.setErr(new PrintWriter(err, true));
        int exit = cli.execute(args);
        return new Run(exit, out.toString(), err.toString());
    }
}
