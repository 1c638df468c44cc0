package dev.pdpipeline.launcher.cli;

import dev.pdpipeline.common.signature.WebhookSignature;
import dev.pdpipeline.launcher.local.LocalPipeline;
import dev.pdpipeline.launcher.sample.SampleEvents;
import java.io.PrintWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code bin/pipeline send-test-event}: sign and post a PagerDuty-shaped event to an ingress. */
@Command(name = "send-test-event", mixinStandardHelpOptions = true,
        description = {"Sign a PagerDuty V3 sample event with the webhook secret and POST it to an ingress.",
            "The secret comes from --secret, else PAGERDUTY_WEBHOOK_SECRET, else the local run's development secret.",
            "Exit code 0 when the ingress answered 2xx, 1 otherwise."})
public final class SendTestEventCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = "--url", defaultValue = "http://localhost:8080/webhooks/pagerduty",
            description = "Ingress webhook URL (default: ${DEFAULT-VALUE}).")
    URI url;

    @Option(names = "--secret", description = "Webhook secret to sign with (prefer PAGERDUTY_WEBHOOK_SECRET: options show up in ps).")
    String secret;

    @Option(names = {"--event-type", "-t"}, defaultValue = "incident.triggered",
            description = "Event type (default: ${DEFAULT-VALUE}); any PagerDuty V3 type, e.g. incident.resolved, pagey.ping.")
    String eventType;

    @Option(names = "--event-id", description = "Event id (default: random). Repeat one to see deduplication.")
    String eventId;

    @Option(names = "--incident", defaultValue = "Q1TESTINCIDENT", description = "Incident id (default: ${DEFAULT-VALUE}).")
    String incident;

    @Option(names = "--incident-number", defaultValue = "1234", description = "Incident number.")
    long incidentNumber;

    @Option(names = "--title", defaultValue = "Checkout latency above SLO", description = "Incident title.")
    String title;

    @Option(names = "--priority", defaultValue = "P1", description = "Priority name (default: ${DEFAULT-VALUE}); 'none' for no priority.")
    String priority;

    @Option(names = "--urgency", defaultValue = "high", description = "Urgency: high or low (default: ${DEFAULT-VALUE}).")
    String urgency;

    @Option(names = "--service", defaultValue = "PSERVICE1", description = "Service id (default: ${DEFAULT-VALUE}).")
    String service;

    @Option(names = "--service-name", defaultValue = "checkout-api", description = "Service name (default: ${DEFAULT-VALUE}).")
    String serviceName;

    @Option(names = "--team", defaultValue = "PTEAM01", description = "Team id (default: ${DEFAULT-VALUE}); 'none' for no team.")
    String team;

    @Option(names = "--team-name", defaultValue = "payments", description = "Team name (default: ${DEFAULT-VALUE}).")
    String teamName;

    @Option(names = "--webhook-id", description = "X-Webhook-Id header (default: random).")
    String webhookId;

    @Option(names = "--print", description = "Print the body that was sent.")
    boolean print;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        Map<String, String> env = Environment.current();
        String key = secret != null ? secret
                : env.getOrDefault(LocalPipeline.WEBHOOK_SECRET_ENV, LocalPipeline.LOCAL_WEBHOOK_SECRET);
        SampleEvents.Spec sample = new SampleEvents.Spec(eventType,
                eventId == null ? UUID.randomUUID().toString() : eventId,
                incident, incidentNumber, title,
                "none".equalsIgnoreCase(priority) ? null : priority, urgency, service, serviceName,
                "none".equalsIgnoreCase(team) ? null : team, teamName, Instant.now());
        byte[] body = SampleEvents.delivery(sample);
        String hook = webhookId == null ? UUID.randomUUID().toString() : webhookId;
        HttpRequest request = HttpRequest.newBuilder(url)
                .timeout(Duration.ofSeconds(10))
                .header("Content-Type", "application/json")
                .header("User-Agent", "PagerDuty-Webhook/V3.0 (pipeline send-test-event)")
                .header("X-Webhook-Id", hook)
                .header("X-Webhook-Subscription", "PSUBTEST")
                .header("X-PagerDuty-Signature", WebhookSignature.header(key, body))
                .POST(HttpRequest.BodyPublishers.ofByteArray(body))
                .build();
        HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
        HttpResponse<String> response;
        try {
            response = client.send(request, HttpResponse.BodyHandlers.ofString());
        } catch (java.net.ConnectException e) {
            spec.commandLine().getErr().println("Cannot connect to " + url + " (is the ingress running? try bin/pipeline local)");
            return 1;
        }
        out.printf("%s event %s for incident %s -> HTTP %d %s%n", eventType, sample.eventId(), incident,
                response.statusCode(), response.body());
        if (print) {
            out.println(new String(body, StandardCharsets.UTF_8));
        }
        return response.statusCode() / 100 == 2 ? 0 : 1;
    }
}
