package dev.pdpipeline.processor.pagerduty;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.pdpipeline.common.json.Json;
import dev.pdpipeline.processor.pagerduty.PagerDutyException.Kind;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * The three PagerDuty REST calls the notes writer makes, as PagerDuty's OpenAPI document
 * specifies them ({@code POST /incidents/{id}/notes}, {@code PUT /incidents/{id}},
 * {@code GET /incidents/{id}/notes}). Blocking, one attempt per call: retries, rate limiting and
 * backoff belong to {@link PagerDutyCaller}. Thread-safe.
 *
 * <p>Failures are thrown as {@link PagerDutyException}s classified for the retry policy. The API
 * token is sent only in the {@code Authorization} header and scrubbed from every text this class
 * produces.
 */
public final class PagerDutyClient {

    private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(PagerDutyClient.class);

    /** PagerDuty's REST API, US service region. */
    public static final String DEFAULT_API_URL = "https://api.pagerduty.com";
    /** The exact media type PagerDuty's REST API v2 expects in {@code Accept}. */
    public static final String ACCEPT = "application/vnd.pagerduty+json;version=2";
    public static final String CONTENT_TYPE = "application/json";

    public static final String OP_CREATE_NOTE = "create_note";
    public static final String OP_UPDATE_STATUS = "update_incident";
    public static final String OP_LIST_NOTES = "list_notes";

    /** Longest PagerDuty error body kept for a dead letter. */
    static final int MAX_BODY_CHARS = 2_000;
    private static final Pattern INCIDENT_ID = Pattern.compile("[A-Za-z0-9_-]{1,64}");

    private final HttpClient http;
    private final URI baseUrl;
    private final Duration requestTimeout;
    private final MeterRegistry registry;

    public PagerDutyClient(URI baseUrl, Duration requestTimeout, MeterRegistry registry) {
        this.baseUrl = normalise(Objects.requireNonNull(baseUrl, "baseUrl"));
        this.requestTimeout = Objects.requireNonNull(requestTimeout, "requestTimeout");
        this.registry = Objects.requireNonNull(registry, "registry");
        this.http = HttpClient.newBuilder()
                .connectTimeout(requestTimeout)
                .followRedirects(HttpClient.Redirect.NEVER)
                .build();
    }

    /**
     * Creates a note; returns the new note's id (null if PagerDuty's answer had none).
     *
     * @param from email of a user on the account, required by PagerDuty for writes
     */
    public String createNote(String token, String from, String incidentId, String content) throws PagerDutyException {
        Objects.requireNonNull(content, "content");
        ObjectNode body = Json.mapper().createObjectNode();
        body.putObject("note").put("content", content);
        JsonNode answer = call(OP_CREATE_NOTE, "POST", notesPath(incidentId), token, requireFrom(from), body);
        JsonNode id = answer.path("note").path("id");
        return id.isTextual() ? id.asText() : null;
    }

    /**
     * Creates a note unless {@code checkFirst} and the incident already has a note containing
     * {@code marker} (then returns that note's id): the write for a result whose earlier attempt
     * may have reached PagerDuty (a timeout after sending, a crash before the ledger said done).
     */
    public String createNoteUnlessPresent(String token, String from, String incidentId, String content, String marker,
            boolean checkFirst) throws PagerDutyException {
        Objects.requireNonNull(marker, "marker");
        if (checkFirst) {
            for (PagerDutyNote note : listNotes(token, incidentId)) {
                if (note.content().contains(marker)) {
                    log.info("Incident {} already has note {} with marker {}; not writing it again", incidentId,
                            note.id(), marker);
                    return note.id() == null ? "" : note.id();
                }
            }
        }
        String id = createNote(token, from, incidentId, content);
        return id == null ? "" : id;
    }

    /** Sets the incident's status ({@code acknowledged} or {@code resolved}). */
    public void updateStatus(String token, String from, String incidentId, String status) throws PagerDutyException {
        Objects.requireNonNull(status, "status");
        ObjectNode body = Json.mapper().createObjectNode();
        ObjectNode incident = body.putObject("incident");
        incident.put("type", "incident_reference");
        incident.put("status", status);
        call(OP_UPDATE_STATUS, "PUT", incidentPath(incidentId), token, requireFrom(from), body);
    }

    /** The incident's notes, oldest first as PagerDuty returns them. */
    public List<PagerDutyNote> listNotes(String token, String incidentId) throws PagerDutyException {
        JsonNode answer = call(OP_LIST_NOTES, "GET", notesPath(incidentId), token, null, null);
        List<PagerDutyNote> notes = new ArrayList<>();
        for (JsonNode note : answer.path("notes")) {
            JsonNode content = note.path("content");
            if (content.isTextual()) {
                JsonNode id = note.path("id");
                notes.add(new PagerDutyNote(id.isTextual() ? id.asText() : null, content.asText()));
            }
        }
        return notes;
    }

    public URI baseUrl() {
        return baseUrl;
    }

    private JsonNode call(String operation, String method, String path, String token, String from, JsonNode body)
            throws PagerDutyException {
        Objects.requireNonNull(token, "token");
        HttpRequest.Builder request = HttpRequest.newBuilder(baseUrl.resolve(path))
                .timeout(requestTimeout)
                .header("Authorization", "Token token=" + token)
                .header("Accept", ACCEPT)
                .header("Content-Type", CONTENT_TYPE);
        if (from != null) {
            request.header("From", from);
        }
        try {
            request.method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                    : HttpRequest.BodyPublishers.ofByteArray(Json.mapper().writeValueAsBytes(body)));
        } catch (IOException e) {
            throw new IllegalStateException("cannot serialise the request body", e);
        }
        String what = method + " /" + path;
        boolean write = !"GET".equals(method);
        Timer.Sample sample = Timer.start(registry);
        HttpResponse<String> response;
        try {
            response = http.send(request.build(), HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
        } catch (HttpTimeoutException e) {
            stop(sample, operation, "timeout");
            throw new PagerDutyException(Kind.TRANSIENT, what + " timed out after " + requestTimeout.toMillis()
                    + " ms", 0, null, write, null);
        } catch (IOException e) {
            stop(sample, operation, "io_error");
            throw new PagerDutyException(Kind.TRANSIENT, what + " failed: " + scrub(String.valueOf(e), token), 0,
                    null, write, null);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            stop(sample, operation, "interrupted");
            throw new PagerDutyException(Kind.TRANSIENT, what + " interrupted", 0, null, write, null);
        }
        int status = response.statusCode();
        stop(sample, operation, Integer.toString(status));
        String text = scrub(response.body(), token);
        if (status >= 200 && status < 300) {
            try {
                return text == null || text.isBlank() ? Json.mapper().createObjectNode() : Json.mapper().readTree(text);
            } catch (IOException e) {
                // the write happened; an unreadable answer only costs us the note id
                return Json.mapper().createObjectNode();
            }
        }
        String shortBody = text == null ? "" : text.length() > MAX_BODY_CHARS ? text.substring(0, MAX_BODY_CHARS) + "…"
                : text;
        String message = what + " answered HTTP " + status + (shortBody.isEmpty() ? "" : ": " + shortBody);
        if (status == 429) {
            throw new PagerDutyException(Kind.RATE_LIMITED, message, status, retryAfter(response).orElse(null), false,
                    shortBody);
        }
        if (status >= 500 || status == 408) {
            throw new PagerDutyException(Kind.TRANSIENT, message, status, retryAfter(response).orElse(null), write,
                    shortBody);
        }
        throw new PagerDutyException(Kind.REJECTED, message, status, null, false, shortBody);
    }

    private void stop(Timer.Sample sample, String operation, String status) {
        sample.stop(Timer.builder("pdpipeline.pagerduty.request")
                .description("PagerDuty REST calls by operation and HTTP status")
                .tag("operation", operation)
                .tag("status", status)
                .register(registry));
    }

    /**
     * PagerDuty's wait: {@code ratelimit-reset} (seconds until the window resets), else
     * {@code Retry-After} (seconds or an HTTP date).
     */
    static Optional<Duration> retryAfter(HttpResponse<?> response) {
        Optional<String> reset = response.headers().firstValue("ratelimit-reset");
        if (reset.isPresent()) {
            Optional<Duration> d = seconds(reset.get());
            if (d.isPresent()) {
                return d;
            }
        }
        Optional<String> retryAfter = response.headers().firstValue("Retry-After");
        if (retryAfter.isPresent()) {
            Optional<Duration> d = seconds(retryAfter.get());
            if (d.isPresent()) {
                return d;
            }
            try {
                ZonedDateTime at = ZonedDateTime.parse(retryAfter.get().trim(), DateTimeFormatter.RFC_1123_DATE_TIME);
                Duration until = Duration.between(ZonedDateTime.now(at.getZone()), at);
                return Optional.of(until.isNegative() ? Duration.ZERO : until);
            } catch (RuntimeException e) {
                return Optional.empty();
            }
        }
        return Optional.empty();
    }

    private static Optional<Duration> seconds(String value) {
        try {
            double s = Double.parseDouble(value.trim());
            if (s < 0 || Double.isNaN(s) || s > 86_400) {
                return Optional.empty();
            }
            return Optional.of(Duration.ofMillis((long) (s * 1000)));
        } catch (NumberFormatException e) {
            return Optional.empty();
        }
    }

    /** Replaces every occurrence of the token in {@code text}; never lets a secret through. */
    public static String scrub(String text, String token) {
        if (text == null || token == null || token.isEmpty()) {
            return text;
        }
        return text.replace(token, "****");
    }

    private static String requireFrom(String from) {
        if (from == null || from.isBlank()) {
            throw new IllegalArgumentException("PagerDuty writes need a From email");
        }
        return from;
    }

    private static String notesPath(String incidentId) {
        return incidentPath(incidentId) + "/notes";
    }

    private static String incidentPath(String incidentId) {
        Objects.requireNonNull(incidentId, "incidentId");
        if (!INCIDENT_ID.matcher(incidentId).matches()) {
            throw new IllegalArgumentException("not a PagerDuty incident id: '" + incidentId + "'");
        }
        return "incidents/" + URLEncoder.encode(incidentId, StandardCharsets.UTF_8);
    }

    private static URI normalise(URI base) {
        String s = base.toString();
        return URI.create(s.endsWith("/") ? s : s + "/");
    }
}
