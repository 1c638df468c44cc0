package dev.pdpipeline.launcher.pagerduty;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.pdpipeline.common.json.Json;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * PagerDuty's V3 webhook subscription API ({@code /webhook_subscriptions}): create, list, ping.
 * One request per call and no retries: it serves a command a person runs and reads the answer of.
 * The token goes into the {@code Authorization} header only; the secret of a new subscription is
 * handed to the caller and appears in no message, exception or {@code toString}.
 */
public final class WebhookSubscriptionsClient {

    public static final String ACCEPT = "application/vnd.pagerduty+json;version=2";

    private final URI apiUrl;
    private final String token;
    private final HttpClient http;
    private final Duration timeout;

    public WebhookSubscriptionsClient(URI apiUrl, String token, Duration timeout) {
        this.apiUrl = Objects.requireNonNull(apiUrl, "apiUrl");
        this.token = Objects.requireNonNull(token, "token");
        this.timeout = Objects.requireNonNull(timeout, "timeout");
        this.http = HttpClient.newBuilder().connectTimeout(timeout).build();
    }

    /** What to subscribe: the delivery URL, the filter and the event types. */
    public record NewSubscription(String url, String filterType, String filterId, List<String> events,
            String description) {

        public NewSubscription {
            events = List.copyOf(events);
        }
    }

    /** A created subscription. The secret is PagerDuty's, shown only in this answer. */
    public static final class Created {
        private final Subscription subscription;
        private final String secret;

        Created(Subscription subscription, String secret) {
            this.subscription = subscription;
            this.secret = secret;
        }

        public Subscription subscription() {
            return subscription;
        }

        /** The signing secret; write it where it belongs, never to a log. */
        public String secret() {
            return secret;
        }

        @Override
        public String toString() {
            return "Created[" + subscription + ", secret=<redacted>]";
        }
    }

    /** A subscription as PagerDuty lists it. */
    public record Subscription(String id, String url, boolean active, boolean temporarilyDisabled, String filterType,
            String filterId, List<String> events, String description) {

        static Subscription of(JsonNode json) {
            List<String> events = new ArrayList<>();
            json.path("events").forEach(e -> events.add(e.asText()));
            return new Subscription(json.path("id").asText(), json.at("/delivery_method/url").asText(null),
                    json.path("active").asBoolean(true), json.at("/delivery_method/temporarily_disabled").asBoolean(false),
                    json.at("/filter/type").asText(null), json.at("/filter/id").asText(null), events,
                    json.path("description").asText(null));
        }
    }

    /** PagerDuty answered with an error, or could not be reached. The message holds no secret. */
    public static final class PagerDutyApiException extends RuntimeException {
        private final int status;

        PagerDutyApiException(int status, String message) {
            super(message);
            this.status = status;
        }

        /** The HTTP status, 0 when PagerDuty was not reached. */
        public int status() {
            return status;
        }
    }

    public Created create(NewSubscription request) {
        ObjectNode body = Json.mapper().createObjectNode();
        ObjectNode s = body.putObject("webhook_subscription");
        s.put("type", "webhook_subscription");
        ObjectNode delivery = s.putObject("delivery_method");
        delivery.put("type", "http_delivery_method");
        delivery.put("url", request.url());
        if (request.description() != null) {
            s.put("description", request.description());
        }
        ArrayNode events = s.putArray("events");
        request.events().forEach(events::add);
        ObjectNode filter = s.putObject("filter");
        filter.put("type", request.filterType());
        if (request.filterId() != null) {
            filter.put("id", request.filterId());
        }
        JsonNode answer = send(HttpRequest.newBuilder(resolve("/webhook_subscriptions"))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body.toString())), "create the webhook subscription");
        JsonNode created = answer.path("webhook_subscription");
        String secret = created.at("/delivery_method/secret").asText(null);
        if (created.path("id").asText("").isEmpty() || secret == null || secret.isEmpty()) {
            throw new PagerDutyApiException(200, "PagerDuty's answer to the create carries no subscription id or secret");
        }
        return new Created(Subscription.of(created), secret);
    }

    /** Every subscription, following PagerDuty's pagination. */
    public List<Subscription> list(String filterType, String filterId) {
        List<Subscription> out = new ArrayList<>();
        int offset = 0;
        while (true) {
            StringBuilder query = new StringBuilder("?limit=100&offset=").append(offset);
            if (filterType != null) {
                query.append("&filter_type=").append(URLEncoder.encode(filterType, StandardCharsets.UTF_8));
            }
            if (filterId != null) {
                query.append("&filter_id=").append(URLEncoder.encode(filterId, StandardCharsets.UTF_8));
            }
            JsonNode page = send(HttpRequest.newBuilder(resolve("/webhook_subscriptions" + query)).GET(),
                    "list the webhook subscriptions");
            JsonNode items = page.path("webhook_subscriptions");
            items.forEach(i -> out.add(Subscription.of(i)));
            if (!page.path("more").asBoolean(false) || items.isEmpty()) {
                return out;
            }
            offset += items.size();
        }
    }

    /** Asks PagerDuty to send a {@code pagey.ping} to the subscription's URL. */
    public void ping(String id) {
        send(HttpRequest.newBuilder(resolve("/webhook_subscriptions/" + URLEncoder.encode(id, StandardCharsets.UTF_8)
                + "/ping")).POST(HttpRequest.BodyPublishers.noBody()), "ping webhook subscription " + id);
    }

    private URI resolve(String path) {
        String base = apiUrl.toString();
        return URI.create((base.endsWith("/") ? base.substring(0, base.length() - 1) : base) + path);
    }

    private JsonNode send(HttpRequest.Builder builder, String what) {
        HttpRequest request = builder.header("Accept", ACCEPT).header("Authorization", "Token token=" + token)
                .timeout(timeout).build();
        HttpResponse<String> response;
        try {
            response = http.send(request, HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new PagerDutyApiException(0, "cannot " + what + ": PagerDuty (" + apiUrl + ") unreachable: " + e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new PagerDutyApiException(0, "interrupted while trying to " + what);
        }
        int status = response.statusCode();
        if (status < 200 || status >= 300) {
            throw new PagerDutyApiException(status, "cannot " + what + ": PagerDuty answered " + status + errorText(response.body()));
        }
        if (response.body() == null || response.body().isBlank()) {
            return Json.mapper().createObjectNode();
        }
        try {
            return Json.mapper().readTree(response.body());
        } catch (IOException e) {
            throw new PagerDutyApiException(status, "cannot " + what + ": PagerDuty's answer is not JSON");
        }
    }

    /** PagerDuty's error body ({@code {"error":{"message","errors"}}}) as text; never the request. */
    private static String errorText(String body) {
        try {
            JsonNode error = Json.mapper().readTree(body).path("error");
            if (error.isMissingNode()) {
                return "";
            }
            List<String> details = new ArrayList<>();
            error.path("errors").forEach(e -> details.add(e.asText()));
            return " (" + error.path("message").asText() + (details.isEmpty() ? "" : ": " + String.join("; ", details)) + ")";
        } catch (IOException | RuntimeException e) {
            return "";
        }
    }
}
