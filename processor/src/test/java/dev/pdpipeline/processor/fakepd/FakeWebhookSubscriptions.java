package dev.pdpipeline.processor.fakepd;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.pdpipeline.common.json.Json;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A local stand-in for PagerDuty's webhook subscription API, enforcing the contract of the three
 * calls {@code bin/pipeline pagerduty} makes as PagerDuty's OpenAPI document states it:
 * {@code POST /webhook_subscriptions} (the secret is returned on create only),
 * {@code GET /webhook_subscriptions} (secrets redacted, {@code filter_type}/{@code filter_id}),
 * {@code POST /webhook_subscriptions/{id}/ping} (202; 404 for an unknown id). Exact {@code Accept},
 * {@code Token token=} authorization (401), JSON {@code Content-Type}, body schema (400: required
 * fields, enums, a filter id for service and team filters, an HTTPS delivery URL, at least one
 * unique event type). Requests are recorded as {@link FakePagerDuty.Request}, so the same
 * conformance checks apply.
 */
public final class FakeWebhookSubscriptions implements AutoCloseable {

    private static final Pattern PING = Pattern.compile("/webhook_subscriptions/([^/]+)/ping");
    private static final Set<String> FILTER_TYPES = Set.of("account_reference", "service_reference", "team_reference");

    /** A created subscription, with the secret PagerDuty generated for it. */
    public record Subscription(String id, String url, List<String> events, String filterType, String filterId,
            String secret) {
    }

    private final HttpServer server;
    private final ExecutorService executor = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "fake-pagerduty-webhooks");
        t.setDaemon(true);
        return t;
    });
    private final Set<String> tokens = ConcurrentHashMap.newKeySet();
    private final Map<String, Subscription> subscriptions = new ConcurrentHashMap<>();
    private final List<FakePagerDuty.Request> requests = new CopyOnWriteArrayList<>();
    private final List<String> pings = new CopyOnWriteArrayList<>();
    private final AtomicInteger ids = new AtomicInteger();
    private final SecureRandom random = new SecureRandom();

    private FakeWebhookSubscriptions() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.setExecutor(executor);
        server.createContext("/", this::handle);
    }

    public static FakeWebhookSubscriptions start(String... validTokens) {
        try {
            FakeWebhookSubscriptions fake = new FakeWebhookSubscriptions();
            fake.tokens.addAll(List.of(validTokens));
            fake.server.start();
            return fake;
        } catch (IOException e) {
            throw new IllegalStateException("cannot start the fake PagerDuty", e);
        }
    }

    /** Base URL, for {@code PAGERDUTY_API_URL}. */
    public URI url() {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort());
    }

    public List<FakePagerDuty.Request> requests() {
        return List.copyOf(requests);
    }

    public Map<String, Subscription> subscriptions() {
        return new TreeMap<>(subscriptions);
    }

    /** Ids of the subscriptions pinged, in order. */
    public List<String> pings() {
        return List.copyOf(pings);
    }

    private void handle(HttpExchange exchange) throws IOException {
        long at = System.nanoTime();
        String method = exchange.getRequestMethod();
        String path = exchange.getRequestURI().getPath();
        String query = exchange.getRequestURI().getQuery();
        Map<String, String> headers = new TreeMap<>();
        exchange.getRequestHeaders().forEach((k, v) -> headers.put(k.toLowerCase(Locale.ROOT), String.join(",", v)));
        String body;
        try (InputStream in = exchange.getRequestBody()) {
            body = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        int status;
        String answer;
        try {
            Object[] result = answer(method, path, query, headers, body);
            status = (Integer) result[0];
            answer = (String) result[1];
        } catch (RuntimeException e) {
            status = 500;
            answer = error("Internal Error: " + e, 2001);
        }
        requests.add(new FakePagerDuty.Request(method, path, headers, body, status, at));
        byte[] bytes = answer.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().add("Content-Type", "application/json");
        exchange.sendResponseHeaders(status, status == 202 && bytes.length == 0 ? -1 : bytes.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(bytes);
        } finally {
            exchange.close();
        }
    }

    private Object[] answer(String method, String path, String query, Map<String, String> headers, String body) {
        Matcher ping = PING.matcher(path);
        boolean isCollection = path.equals("/webhook_subscriptions");
        if (!isCollection && !ping.matches()) {
            return new Object[] {404, error("Not Found", 2100)};
        }
        if (isCollection && !method.equals("GET") && !method.equals("POST") || ping.matches() && !method.equals("POST")) {
            return new Object[] {405, error("Method Not Allowed", 2000)};
        }
        String auth = headers.get("authorization");
        if (auth == null || !auth.startsWith("Token token=") || !tokens.contains(auth.substring("Token token=".length()))) {
            return new Object[] {401, error("Unauthorized", 2006)};
        }
        if (!FakePagerDuty.ACCEPT.equals(headers.get("accept"))) {
            return new Object[] {400, error("Invalid Input Provided", 2001, "Accept must be " + FakePagerDuty.ACCEPT)};
        }
        if (ping.matches()) {
            if (!subscriptions.containsKey(ping.group(1))) {
                return new Object[] {404, error("Not Found", 2100, "Webhook subscription not found")};
            }
            pings.add(ping.group(1));
            return new Object[] {202, ""};
        }
        if (method.equals("GET")) {
            Map<String, String> params = queryParams(query);
            ObjectNode json = Json.mapper().createObjectNode();
            ArrayNode list = json.putArray("webhook_subscriptions");
            for (Subscription s : subscriptions().values()) {
                String type = params.get("filter_type");
                if (type != null && !(type + "_reference").equals(s.filterType())
                        || params.containsKey("filter_id") && !params.get("filter_id").equals(s.filterId())) {
                    continue;
                }
                list.add(toJson(s, false));
            }
            json.put("limit", 100).put("offset", 0).put("more", false).putNull("total");
            return new Object[] {200, json.toString()};
        }
        String contentType = headers.get("content-type");
        if (contentType == null || !contentType.toLowerCase(Locale.ROOT).startsWith("application/json")) {
            return new Object[] {400, error("Invalid Input Provided", 2001, "Content-Type must be application/json")};
        }
        JsonNode request;
        try {
            request = Json.mapper().readTree(body).path("webhook_subscription");
        } catch (IOException e) {
            return new Object[] {400, error("Invalid Input Provided", 2001, "body is not JSON")};
        }
        String problem = invalid(request);
        if (problem != null) {
            return new Object[] {400, error("Invalid Input Provided", 2001, problem)};
        }
        List<String> events = Json.mapper().convertValue(request.path("events"),
                Json.mapper().getTypeFactory().constructCollectionType(List.class, String.class));
        byte[] secret = new byte[24];
        random.nextBytes(secret);
        Subscription created = new Subscription("PWS" + ids.incrementAndGet(),
                request.at("/delivery_method/url").asText(), events, request.at("/filter/type").asText(),
                request.at("/filter/id").asText(null), HexFormat.of().formatHex(secret));
        subscriptions.put(created.id(), created);
        ObjectNode out = Json.mapper().createObjectNode();
        out.set("webhook_subscription", toJson(created, true));
        return new Object[] {200, out.toString()};
    }

    private static String invalid(JsonNode s) {
        if (!s.isObject()) {
            return "webhook_subscription is required";
        }
        if (!"webhook_subscription".equals(s.path("type").asText())) {
            return "type must be webhook_subscription";
        }
        JsonNode delivery = s.path("delivery_method");
        if (!"http_delivery_method".equals(delivery.path("type").asText())) {
            return "delivery_method.type must be http_delivery_method";
        }
        if (!delivery.path("url").asText("").startsWith("https://")) {
            return "delivery_method.url must be an HTTPS URL";
        }
        JsonNode events = s.path("events");
        if (!events.isArray() || events.isEmpty()) {
            return "events must list at least one event type";
        }
        Set<String> seen = new HashSet<>();
        for (JsonNode e : events) {
            if (!e.isTextual() || !seen.add(e.asText())) {
                return "events must be unique strings";
            }
        }
        JsonNode filter = s.path("filter");
        if (!FILTER_TYPES.contains(filter.path("type").asText())) {
            return "filter.type must be one of " + FILTER_TYPES;
        }
        if (!"account_reference".equals(filter.path("type").asText()) && filter.path("id").asText("").isBlank()) {
            return "filter.id is required for " + filter.path("type").asText();
        }
        return null;
    }

    private static ObjectNode toJson(Subscription s, boolean withSecret) {
        ObjectNode json = Json.mapper().createObjectNode();
        json.put("id", s.id());
        json.put("type", "webhook_subscription");
        json.put("active", true);
        ObjectNode delivery = json.putObject("delivery_method");
        delivery.put("type", "http_delivery_method");
        delivery.put("url", s.url());
        delivery.put("temporarily_disabled", false);
        if (withSecret) {
            delivery.put("secret", s.secret());
        } else {
            delivery.putNull("secret");
        }
        ArrayNode events = json.putArray("events");
        s.events().forEach(events::add);
        ObjectNode filter = json.putObject("filter");
        filter.put("type", s.filterType());
        if (s.filterId() != null) {
            filter.put("id", s.filterId());
        }
        return json;
    }

    private static Map<String, String> queryParams(String query) {
        Map<String, String> params = new TreeMap<>();
        if (query != null) {
            for (String pair : query.split("&")) {
                String[] kv = pair.split("=", 2);
                params.put(kv[0], kv.length > 1 ? java.net.URLDecoder.decode(kv[1], StandardCharsets.UTF_8) : "");
            }
        }
        return params;
    }

    private static String error(String message, int code, String... errors) {
        ObjectNode json = Json.mapper().createObjectNode();
        ObjectNode error = json.putObject("error");
        error.put("message", message);
        error.put("code", code);
        ArrayNode list = error.putArray("errors");
        for (String e : errors) {
            list.add(e);
        }
        return json.toString();
    }

    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
    }
}
