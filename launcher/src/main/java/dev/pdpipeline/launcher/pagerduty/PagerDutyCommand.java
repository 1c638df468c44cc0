package dev.pdpipeline.launcher.pagerduty;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.pdpipeline.common.json.Json;
import dev.pdpipeline.launcher.InvalidSettingException;
import dev.pdpipeline.launcher.cli.Environment;
import dev.pdpipeline.launcher.pagerduty.WebhookSubscriptionsClient.PagerDutyApiException;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.Writer;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code bin/pipeline pagerduty}: connect PagerDuty to the pipeline through its REST API. */
@Command(name = "pagerduty", mixinStandardHelpOptions = true,
        description = {"Connect PagerDuty to the pipeline: create, list and ping V3 webhook subscriptions through"
                + " PagerDuty's REST API.",
            "Reads PAGERDUTY_API_URL (default https://api.pagerduty.com; EU accounts: https://api.eu.pagerduty.com)"
                + " and PAGERDUTY_API_TOKEN (a REST API key allowed to manage webhook subscriptions).",
            "Exit codes: 0 done, 1 PagerDuty refused or could not be reached (its answer is printed), 2 usage error,"
                + " 3 invalid configuration."},
        subcommands = {PagerDutyCommand.Subscribe.class, PagerDutyCommand.Subscriptions.class,
            PagerDutyCommand.Ping.class, CommandLine.HelpCommand.class})
public final class PagerDutyCommand implements Runnable {

    public static final String API_URL_ENV = "PAGERDUTY_API_URL";
    public static final String API_TOKEN_ENV = "PAGERDUTY_API_TOKEN";
    public static final String DEFAULT_API_URL = "https://api.pagerduty.com";
    private static final Duration TIMEOUT = Duration.ofSeconds(30);

    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    static WebhookSubscriptionsClient client(Map<String, String> env) {
        String token = env.get(API_TOKEN_ENV);
        if (token == null || token.isBlank()) {
            throw new InvalidSettingException(API_TOKEN_ENV + " is not set: a PagerDuty REST API key is needed to"
                    + " manage webhook subscriptions");
        }
        String url = env.getOrDefault(API_URL_ENV, "");
        url = url.isBlank() ? DEFAULT_API_URL : url.trim();
        URI uri;
        try {
            uri = URI.create(url);
        } catch (IllegalArgumentException e) {
            throw new InvalidSettingException(API_URL_ENV + " is not a URL: '" + url + "'");
        }
        if (!"https".equals(uri.getScheme()) && !"http".equals(uri.getScheme()) || uri.getHost() == null) {
            throw new InvalidSettingException(API_URL_ENV + " must be an http(s) URL, got '" + url + "'");
        }
        return new WebhookSubscriptionsClient(uri, token.trim(), TIMEOUT);
    }

    static int failed(PrintWriter err, PagerDutyApiException e) {
        err.println(e.getMessage());
        return 1;
    }

    // ---------------------------------------------------------------- subscribe

    @Command(name = "subscribe", mixinStandardHelpOptions = true,
            description = {"Create a V3 webhook subscription that delivers to --url (POST /webhook_subscriptions), for one"
                    + " service or the whole account. The event types default to the union of the event_types of the"
                    + " Trigger files at TRIGGERS_PATH (every incident event type when a Trigger names none).",
                "The signing secret PagerDuty returns is written to --secret-file (created with mode 600; the"
                    + " command refuses to overwrite a file) and never printed or logged. Prints the subscription id"
                    + " and a Trigger snippet that reads the secret from PAGERDUTY_WEBHOOK_SECRET.",
                "Exit codes: 0 created, 1 PagerDuty refused or the secret file could not be written, 2 usage error,"
                    + " 3 invalid configuration."})
    static final class Subscribe implements Callable<Integer> {

        @Spec
        CommandSpec spec;

        @Option(names = "--url", required = true, paramLabel = "URL",
                description = "The HTTPS URL PagerDuty delivers to: your ingress's POST /webhooks/pagerduty behind TLS.")
        String url;

        static final class Scope {
            @Option(names = "--service", paramLabel = "ID", required = true, description = "Only events of this PagerDuty service.")
            String service;

            @Option(names = "--account", required = true, description = "Events of every service of the account.")
            boolean account;
        }

        @ArgGroup(exclusive = true, multiplicity = "1")
        Scope scope;

        @Option(names = "--event-types", split = ",", paramLabel = "TYPE",
                description = "Event types (comma-separated or repeated); default: the union of the Triggers' event_types.")
        List<String> eventTypes = new ArrayList<>();

        @Option(names = "--secret-file", required = true, paramLabel = "PATH",
                description = "Where to write the subscription's secret (mode 600; must not exist).")
        Path secretFile;

        @Option(names = "--description", paramLabel = "TEXT", defaultValue = "pdpipeline ingress",
                description = "The subscription's description in PagerDuty (default: ${DEFAULT-VALUE}).")
        String description;

        @Override
        public Integer call() {
            PrintWriter out = spec.commandLine().getOut();
            PrintWriter err = spec.commandLine().getErr();
            URI target;
            try {
                target = URI.create(url.trim());
            } catch (IllegalArgumentException e) {
                throw new ParameterException(spec.commandLine(), "--url is not a URL: '" + url + "'");
            }
            if (!"https".equals(target.getScheme()) || target.getHost() == null) {
                throw new ParameterException(spec.commandLine(), "--url must be an https:// URL (PagerDuty delivers"
                        + " to HTTPS only), got '" + url + "'");
            }
            if (Files.exists(secretFile)) {
                throw new ParameterException(spec.commandLine(), "--secret-file " + secretFile
                        + " exists; remove it or choose another path (a secret is never overwritten)");
            }
            Path parent = secretFile.toAbsolutePath().getParent();
            if (parent == null || !Files.isDirectory(parent) || !Files.isWritable(parent)) {
                throw new ParameterException(spec.commandLine(), "--secret-file " + secretFile
                        + ": its folder does not exist or is not writable");
            }
            Map<String, String> env = Environment.current();
            List<String> events = eventTypes.isEmpty() ? triggersEventTypes(env) : List.copyOf(new LinkedHashSet<>(eventTypes));
            if (events.isEmpty()) {
                throw new InvalidSettingException("the Trigger files name no event type; give --event-types");
            }
            WebhookSubscriptionsClient client = client(env);
            WebhookSubscriptionsClient.Created created;
            try {
                created = client.create(new WebhookSubscriptionsClient.NewSubscription(target.toString(),
                        scope.account ? "account_reference" : "service_reference", scope.account ? null : scope.service,
                        events, description));
            } catch (PagerDutyApiException e) {
                return failed(err, e);
            }
            String id = created.subscription().id();
            try {
                writeSecret(secretFile, created.secret());
            } catch (IOException e) {
                err.println("Created webhook subscription " + id + " but could not write its secret to " + secretFile
                        + " (" + e.getMessage() + "). PagerDuty shows the secret only once: delete the subscription"
                        + " in PagerDuty and run subscribe again.");
                return 1;
            }
            out.println("Created webhook subscription " + id + " ("
                    + (scope.account ? "account" : "service " + scope.service) + ", " + events.size()
                    + " event types) delivering to " + target);
            out.println("Secret written to " + secretFile + " (mode 600). Give it to the ingress and the processor as"
                    + " PAGERDUTY_WEBHOOK_SECRET, e.g.:");
            out.println("  export PAGERDUTY_WEBHOOK_SECRET=\"$(cat " + secretFile + ")\"");
            out.println("Check the delivery path with: bin/pipeline pagerduty ping " + id);
            out.println();
            out.println("# Trigger snippet (docs/triggers.md); the secret comes from the environment:");
            out.println("spec:");
            out.println("  platform:");
            out.println("    type: pagerduty");
            out.println("    config:");
            out.println("      webhook_secret: ${PAGERDUTY_WEBHOOK_SECRET}   # subscription " + id);
            out.println("      event_types:");
            events.forEach(t -> out.println("        - " + t));
            out.flush();
            return 0;
        }

        private List<String> triggersEventTypes(Map<String, String> env) {
            String path = env.get("TRIGGERS_PATH");
            if (path == null || path.isBlank()) {
                throw new ParameterException(spec.commandLine(), "give --event-types, or set TRIGGERS_PATH so the"
                        + " event types come from your Trigger files");
            }
            return TriggerEventTypes.union(Path.of(path.trim()), env);
        }

        /** Created with mode 600 before a byte is written, so the secret is never readable by others. */
        private static void writeSecret(Path file, String secret) throws IOException {
            try {
                Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            } catch (UnsupportedOperationException e) {
                Files.createFile(file); // not a POSIX file system
            } catch (FileAlreadyExistsException e) {
                throw new IOException("the file appeared meanwhile; it was left alone", e);
            }
            try (Writer w = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
                w.write(secret);
            }
        }
    }

    // ---------------------------------------------------------------- subscriptions

    @Command(name = "subscriptions", mixinStandardHelpOptions = true,
            description = {"List the account's webhook subscriptions (GET /webhook_subscriptions): id, active or"
                    + " temporarily disabled, filter, URL and event types. Secrets are never shown (PagerDuty does not return them).",
                "Exit codes: 0 listed, 1 PagerDuty refused or could not be reached, 2 usage error, 3 invalid configuration."})
    static final class Subscriptions implements Callable<Integer> {

        @Spec
        CommandSpec spec;

        @Option(names = "--service", paramLabel = "ID", description = "Only subscriptions of this service.")
        String service;

        @Option(names = "--json", description = "One JSON object per subscription and line.")
        boolean json;

        @Override
        public Integer call() {
            PrintWriter out = spec.commandLine().getOut();
            PrintWriter err = spec.commandLine().getErr();
            List<WebhookSubscriptionsClient.Subscription> all;
            try {
                all = client(Environment.current()).list(service == null ? null : "service", service);
            } catch (PagerDutyApiException e) {
                return failed(err, e);
            }
            for (WebhookSubscriptionsClient.Subscription s : all) {
                if (json) {
                    ObjectNode line = Json.mapper().createObjectNode();
                    line.put("id", s.id()).put("url", s.url()).put("active", s.active())
                            .put("temporarily_disabled", s.temporarilyDisabled());
                    line.putObject("filter").put("type", s.filterType()).put("id", s.filterId());
                    ArrayNode events = line.putArray("events");
                    s.events().forEach(events::add);
                    line.put("description", s.description());
                    out.println(line);
                } else {
                    out.printf("%s  %s  %s  %s  %d event types: %s%n", s.id(),
                            s.temporarilyDisabled() ? "temporarily-disabled" : s.active() ? "active" : "inactive",
                            s.filterId() == null ? s.filterType() : s.filterType() + " " + s.filterId(), s.url(),
                            s.events().size(), String.join(",", s.events()));
                }
            }
            if (!json) {
                err.println(all.size() + " webhook subscription(s)");
            }
            out.flush();
            return 0;
        }
    }

    // ---------------------------------------------------------------- ping

    @Command(name = "ping", mixinStandardHelpOptions = true,
            description = {"Ask PagerDuty to send a pagey.ping event to the subscription's URL"
                    + " (POST /webhook_subscriptions/{id}/ping). The ingress verifies and stores it like any delivery;"
                    + " the processor counts it and routes nothing.",
                "Exit codes: 0 PagerDuty accepted (it delivers within seconds), 1 PagerDuty refused (e.g. 404 unknown id)"
                    + " or could not be reached, 2 usage error, 3 invalid configuration."})
    static final class Ping implements Callable<Integer> {

        @Spec
        CommandSpec spec;

        @Parameters(paramLabel = "ID", description = "The webhook subscription id (`pagerduty subscriptions` lists them).")
        String id;

        @Override
        public Integer call() {
            try {
                client(Environment.current()).ping(id.trim());
            } catch (PagerDutyApiException e) {
                return failed(spec.commandLine().getErr(), e);
            }
            spec.commandLine().getOut().println("PagerDuty will send a pagey.ping to subscription " + id.trim()
                    + "'s URL; watch the ingress log or pdpipeline_ingress_requests_total.");
            return 0;
        }
    }
}
