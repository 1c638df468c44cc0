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
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
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
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A local stand-in for PagerDuty's REST API that enforces the contract of the three calls the
 * notes writer makes ({@code POST /incidents/{id}/notes}, {@code PUT /incidents/{id}},
 * {@code GET /incidents/{id}/notes}) as PagerDuty's OpenAPI document states it: exact
 * {@code Accept}, {@code Token token=} authorization (401 for unknown tokens), {@code From}
 * email on writes (400), JSON {@code Content-Type}, body schema (400), unknown incident (404),
 * PagerDuty-style error bodies. It stores notes per incident, records every request, and can be
 * told to misbehave: fail the next N requests or for a time window with any status (429 carries
 * {@code ratelimit-reset}), answer late (after applying the write), or enforce a rate limit.
 */
public final class FakePagerDuty implements AutoCloseable {

    public static final String ACCEPT = "application/vnd.pagerduty+json;version=2";
    /** PagerDuty's note content limit. */
    public static final int NOTE_LIMIT = 25_000;

    private static final Pattern NOTES = Pattern.compile("/incidents/([^/]+)/notes");
    private static final Pattern INCIDENT = Pattern.compile("/incidents/([^/]+)");
    private static final Pattern EMAIL = Pattern.compile("[^@\\s]+@[^@\\s]+\\.[^@\\s]+");
    private static final Set<String> INCIDENT_TYPES = Set.of("incident", "incident_reference");
    private static final Set<String> STATUSES = Set.of("resolved", "acknowledged", "triggered");

    /** One request as received. */
    public record Request(String method, String path, Map<String, String> headers, String body, int status,
            long atNanos) {

        public boolean accepted() {
            return status >= 200 && status < 300;
        }

        /** Header value by case-insensitive name, or null. */
        public String header(String name) {
            return headers.get(name.toLowerCase(Locale.ROOT));
        }
    }

    /** A stored note. */
    public record Note(String id, String content, String from, String token) {
    }

    private final HttpServer server;
    /** Counted down by {@link #close()}: releases answers held back by a simulated delay. */
    private final java.util.concurrent.CountDownLatch stopped = new java.util.concurrent.CountDownLatch(1);
    private final ExecutorService executor = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "fake-pagerduty");
        t.setDaemon(true);
        return t;
    });
    private final Set<String> tokens = ConcurrentHashMap.newKeySet();
    private final Set<String> incidents = ConcurrentHashMap.newKeySet();
    private final Map<String, List<Note>> notes = new ConcurrentHashMap<>();
    private final Map<String, String> statuses = new ConcurrentHashMap<>();
    private final List<Request> requests = new CopyOnWriteArrayList<>();
    private final AtomicLong noteIds = new AtomicLong();
    private final AtomicInteger rateLimited = new AtomicInteger();

    // faults, guarded by this
    private int failNextCount;
    private int failNextStatus;
    private long failUntilNanos;
    private int failWindowStatus;
    private int delayNextCount;
    private Duration delay = Duration.ZERO;
    private int rateLimitResetSeconds = 1;
    private int limitPerWindow;
    private Duration limitWindow;
    private final Map<String, Deque<Long>> windows = new ConcurrentHashMap<>();
    private double bucketPerNano;
    private double bucketCapacity;
    private final Map<String, Bucket> buckets = new ConcurrentHashMap<>();

    /** One token's bucket; guarded by the fake. */
    private static final class Bucket {
        double tokens;
        long lastNanos;

        Bucket(double tokens, long lastNanos) {
            this.tokens = tokens;
            this.lastNanos = lastNanos;
        }
    }

    private FakePagerDuty() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.setExecutor(executor);
        server.createContext("/", this::handle);
    }

    /** Starts a fake that accepts {@code validTokens}. */
    public static FakePagerDuty start(String... validTokens) {
        try {
            FakePagerDuty fake = new FakePagerDuty();
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

    public FakePagerDuty incidents(String... ids) {
        incidents.addAll(List.of(ids));
        return this;
    }

    /** The next {@code n} requests are answered with {@code status} (after the auth check). */
    public synchronized FakePagerDuty failNext(int n, int status) {
        failNextCount = n;
        failNextStatus = status;
        return this;
    }

    /** Every request for {@code window} from now is answered with {@code status}. */
    public synchronized FakePagerDuty failFor(Duration window, int status) {
        failUntilNanos = System.nanoTime() + window.toNanos();
        failWindowStatus = status;
        return this;
    }

    /** The next {@code n} requests are applied, then answered only after {@code delay}. */
    public synchronized FakePagerDuty delayNext(int n, Duration delay) {
        delayNextCount = n;
        this.delay = delay;
        return this;
    }

    /** The {@code ratelimit-reset} value (seconds) of 429 answers. */
    public synchronized FakePagerDuty rateLimitReset(int seconds) {
        rateLimitResetSeconds = seconds;
        return this;
    }

    /** Answers 429 beyond {@code perWindow} requests per token in any sliding {@code window}. */
    public synchronized FakePagerDuty enforceRateLimit(int perWindow, Duration window) {
        limitPerWindow = perWindow;
        limitWindow = window;
        windows.clear();
        return this;
    }

    /**
     * PagerDuty's limit as a token bucket per API token, whoever calls: {@code perMinute} calls a
     * minute refilled continuously, at most {@code burst} worth stored (960/min with 3 s = 48
     * calls at once); a call finding the bucket empty gets 429 with {@code ratelimit-reset}.
     */
    public synchronized FakePagerDuty enforceTokenBucket(int perMinute, Duration burst) {
        bucketPerNano = perMinute / 60e9;
        bucketCapacity = Math.max(1.0, perMinute * burst.toNanos() / 60e9);
        buckets.clear();
        return this;
    }

    public List<Request> requests() {
        return List.copyOf(requests);
    }

    /** Notes of an incident, oldest first. */
    public List<Note> notes(String incidentId) {
        List<Note> list = notes.get(incidentId);
        if (list == null) {
            return List.of();
        }
        synchronized (list) {
            return List.copyOf(list);
        }
    }

    /** Every stored note, by incident. */
    public Map<String, List<Note>> allNotes() {
        Map<String, List<Note>> all = new TreeMap<>();
        notes.keySet().forEach(id -> all.put(id, notes(id)));
        return all;
    }

    public String status(String incidentId) {
        return statuses.get(incidentId);
    }

    /** 429s answered (forced or by the rate limit). */
    public int rateLimitedCount() {
        return rateLimited.get();
    }

    /** Adds a note as if someone (an earlier run) had written it. */
    public void addNote(String incidentId, String content) {
        store(incidentId, content, "someone@example.com", null);
    }

    private void handle(HttpExchange exchange) throws IOException {
        long at = System.nanoTime();
        String method = exchange.getRequestMethod();
        String path = exchange.getRequestURI().getPath();
        Map<String, String> headers = new TreeMap<>();
        exchange.getRequestHeaders().forEach((k, v) -> headers.put(k.toLowerCase(Locale.ROOT), String.join(",", v)));
        String body;
        try (InputStream in = exchange.getRequestBody()) {
            body = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        Answer answer;
        try {
            answer = answer(method, path, headers, body);
        } catch (RuntimeException e) {
            answer = error(500, "Internal Error: " + e, 2001);
        }
        requests.add(new Request(method, path, headers, body, answer.status, at));
        if (answer.delay != null && !answer.delay.isZero()) {
            // a slow PagerDuty: hold the answer back (released early only when the fake stops)
            try {
                if (stopped.await(answer.delay.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS)) {
                    return;
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        byte[] bytes = answer.body.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().add("Content-Type", "application/json");
        answer.headers.forEach((k, v) -> exchange.getResponseHeaders().add(k, v));
        try {
            exchange.sendResponseHeaders(answer.status, bytes.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(bytes);
            }
        } catch (IOException e) {
            // the client gave up (timed out): like PagerDuty, the write stays done
        } finally {
            exchange.close();
        }
    }

    private Answer answer(String method, String path, Map<String, String> headers, String body) {
        Matcher notesPath = NOTES.matcher(path);
        Matcher incidentPath = INCIDENT.matcher(path);
        boolean isNotes = notesPath.matches();
        boolean isIncident = !isNotes && incidentPath.matches();
        if (!isNotes && !isIncident) {
            return error(404, "Not Found", 2100);
        }
        boolean write = isNotes ? method.equals("POST") : method.equals("PUT");
        if (!(isNotes && (method.equals("GET") || method.equals("POST")) || isIncident && method.equals("PUT"))) {
            return error(405, "Method Not Allowed", 2000);
        }
        String auth = headers.get("authorization");
        if (auth == null || !auth.startsWith("Token token=") || !tokens.contains(auth.substring("Token token=".length()))) {
            return error(401, "Unauthorized", 2006);
        }
        String token = auth.substring("Token token=".length());
        Answer forced = forcedFailure();
        if (forced != null) {
            return forced;
        }
        if (overRateLimit(token)) {
            rateLimited.incrementAndGet();
            return error(429, "Rate Limit Exceeded", 2020)
                    .header("ratelimit-reset", Integer.toString(currentReset()));
        }
        if (!ACCEPT.equals(headers.get("accept"))) {
            return error(400, "Invalid Input Provided", 2001, "Accept must be " + ACCEPT);
        }
        String contentType = headers.get("content-type");
        if (contentType == null || !contentType.toLowerCase(Locale.ROOT).startsWith("application/json")) {
            return error(400, "Invalid Input Provided", 2001, "Content-Type must be application/json");
        }
        String from = headers.get("from");
        if (write && (from == null || !EMAIL.matcher(from).matches())) {
            return error(400, "Invalid Input Provided", 2001, "From header must be the email of a valid user");
        }
        String incident = isNotes ? notesPath.group(1) : incidentPath.group(1);
        if (!incidents.contains(incident)) {
            return error(404, "Not Found", 2100, "Incident Not Found");
        }
        Answer answer;
        if (isNotes && method.equals("GET")) {
            ObjectNode json = Json.mapper().createObjectNode();
            ArrayNode list = json.putArray("notes");
            for (Note n : notes(incident)) {
                ObjectNode note = list.addObject();
                note.put("id", n.id());
                note.put("content", n.content());
                note.putObject("user").put("type", "user_reference");
            }
            return new Answer(200, json.toString());
        }
        JsonNode json;
        try {
            json = Json.mapper().readTree(body);
        } catch (IOException e) {
            return error(400, "Invalid Input Provided", 2001, "body is not JSON");
        }
        if (isNotes) {
            JsonNode content = json == null ? null : json.path("note").get("content");
            if (content == null || !content.isTextual() || content.asText().isEmpty()) {
                return error(400, "Invalid Input Provided", 2001, "Note content is required");
            }
            if (content.asText().length() > NOTE_LIMIT) {
                return error(400, "Invalid Input Provided", 2001, "Note content is too long (maximum is "
                        + NOTE_LIMIT + " characters)");
            }
            Note note = store(incident, content.asText(), from, token);
            ObjectNode out = Json.mapper().createObjectNode();
            ObjectNode n = out.putObject("note");
            n.put("id", note.id());
            n.put("content", note.content());
            answer = new Answer(200, out.toString());
        } else {
            JsonNode inc = json == null ? null : json.get("incident");
            if (inc == null || !inc.isObject() || !INCIDENT_TYPES.contains(inc.path("type").asText())) {
                return error(400, "Invalid Input Provided", 2001, "incident.type must be incident or incident_reference");
            }
            JsonNode status = inc.get("status");
            if (status != null && !STATUSES.contains(status.asText())) {
                return error(400, "Invalid Input Provided", 2001, "incident.status is invalid");
            }
            if (status != null) {
                statuses.put(incident, status.asText());
            }
            ObjectNode out = Json.mapper().createObjectNode();
            out.putObject("incident").put("id", incident).put("status", statuses.get(incident));
            answer = new Answer(200, out.toString());
        }
        return answer.withDelay(takeDelay());
    }

    private Note store(String incident, String content, String from, String token) {
        Note note = new Note("N" + noteIds.incrementAndGet(), content, from, token);
        List<Note> list = notes.computeIfAbsent(incident, k -> new ArrayList<>());
        synchronized (list) {
            list.add(note);
        }
        return note;
    }

    private synchronized Answer forcedFailure() {
        if (failNextCount > 0) {
            failNextCount--;
            return statusAnswer(failNextStatus);
        }
        if (failUntilNanos != 0 && System.nanoTime() - failUntilNanos < 0) {
            return statusAnswer(failWindowStatus);
        }
        return null;
    }

    private Answer statusAnswer(int status) {
        return switch (status) {
            case 429 -> {
                rateLimited.incrementAndGet();
                yield error(429, "Rate Limit Exceeded", 2020).header("ratelimit-reset",
                        Integer.toString(rateLimitResetSeconds));
            }
            case 401 -> error(401, "Unauthorized", 2006);
            case 403 -> error(403, "Access Denied", 2010);
            case 404 -> error(404, "Not Found", 2100);
            case 400 -> error(400, "Invalid Input Provided", 2001);
            default -> error(status, "Internal Server Error", 0);
        };
    }

    private synchronized boolean overRateLimit(String token) {
        if (bucketPerNano > 0) {
            long now = System.nanoTime();
            Bucket b = buckets.computeIfAbsent(token, t -> new Bucket(bucketCapacity, now));
            b.tokens = Math.min(bucketCapacity, b.tokens + (now - b.lastNanos) * bucketPerNano);
            b.lastNanos = now;
            if (b.tokens < 1.0) {
                return true;
            }
            b.tokens -= 1.0;
        }
        if (limitPerWindow <= 0) {
            return false;
        }
        long now = System.nanoTime();
        Deque<Long> window = windows.computeIfAbsent(token, t -> new ArrayDeque<>());
        while (!window.isEmpty() && now - window.peekFirst() >= limitWindow.toNanos()) {
            window.pollFirst();
        }
        if (window.size() >= limitPerWindow) {
            return true;
        }
        window.addLast(now);
        return false;
    }

    private synchronized int currentReset() {
        if (bucketPerNano > 0) {
            return (int) Math.max(1, Math.ceil(1.0 / (bucketPerNano * 1e9)));
        }
        return limitWindow == null ? rateLimitResetSeconds : (int) Math.max(1, limitWindow.toSeconds());
    }

    private synchronized Duration takeDelay() {
        if (delayNextCount > 0) {
            delayNextCount--;
            return delay;
        }
        return Duration.ZERO;
    }

    private static Answer error(int status, String message, int code, String... errors) {
        ObjectNode json = Json.mapper().createObjectNode();
        ObjectNode error = json.putObject("error");
        error.put("message", message);
        error.put("code", code);
        ArrayNode list = error.putArray("errors");
        for (String e : errors) {
            list.add(e);
        }
        return new Answer(status, json.toString());
    }

    private static final class Answer {
        final int status;
        final String body;
        final Map<String, String> headers = new TreeMap<>();
        Duration delay = Duration.ZERO;

        Answer(int status, String body) {
            this.status = status;
            this.body = body;
        }

        Answer header(String name, String value) {
            headers.put(name, value);
            return this;
        }

        Answer withDelay(Duration d) {
            delay = d;
            return this;
        }
    }

    @Override
    public void close() {
        stopped.countDown();
        server.stop(0);
        executor.shutdownNow();
    }
}
