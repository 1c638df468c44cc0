package dev.pdpipeline.processor.notes;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.JsonNode;
import dev.pdpipeline.common.json.Json;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Objects;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * One agent result from {@code agent.results}, validated. The JSON contract is in
 * docs/agent-contract.md ("Results") and docs/notes.md.
 *
 * @param requestId  {@code request_id} of the request envelope it answers
 * @param incidentId {@code incident_id}: the PagerDuty incident to write to
 * @param agent      {@code agent}: the answering agent's name
 * @param note       {@code note} (markdown), or null
 * @param status     {@code status} ({@code acknowledged} or {@code resolved}), or null
 * @param fromEmail  {@code from_email}, or null
 * @param resultId   {@code result_id}, or the default derived by {@link #defaultResultId}
 */
public record AgentResult(String requestId, String incidentId, String agent, String note, String status,
        String fromEmail, String resultId) {

    public static final String ACKNOWLEDGED = "acknowledged";
    public static final String RESOLVED = "resolved";
    /** The statuses an agent may set. */
    public static final Set<String> STATUSES = Set.of(ACKNOWLEDGED, RESOLVED);

    /** PagerDuty incident ids are short alphanumerics; anything else could escape the URL path. */
    static final Pattern INCIDENT_ID = Pattern.compile("[A-Za-z0-9_-]{1,64}");
    static final Pattern EMAIL = Pattern.compile("[^@\\s]+@[^@\\s]+\\.[^@\\s]+");
    static final int MAX_ID_LENGTH = 200;

    public AgentResult {
        Objects.requireNonNull(requestId, "requestId");
        Objects.requireNonNull(incidentId, "incidentId");
        Objects.requireNonNull(agent, "agent");
        Objects.requireNonNull(resultId, "resultId");
        if (note == null && status == null) {
            throw new IllegalArgumentException("a result needs a note or a status");
        }
    }

    /**
     * Parses and validates a result value.
     *
     * @throws InvalidResultException with the dead-letter reason naming what is wrong
     */
    public static AgentResult parse(byte[] value) throws InvalidResultException {
        if (value == null || value.length == 0) {
            throw new InvalidResultException(DeadLetterReason.INVALID_JSON, "empty value (a tombstone?)");
        }
        JsonNode json;
        try {
            json = Json.mapper().readTree(value);
        } catch (JacksonException e) {
            throw new InvalidResultException(DeadLetterReason.INVALID_JSON, "not JSON: " + e.getOriginalMessage());
        } catch (java.io.IOException e) {
            throw new InvalidResultException(DeadLetterReason.INVALID_JSON, "not JSON: " + e.getMessage());
        }
        if (json == null || !json.isObject()) {
            throw new InvalidResultException(DeadLetterReason.INVALID_JSON, "the value must be a JSON object");
        }
        String requestId = requiredText(json, "request_id");
        String incidentId = requiredText(json, "incident_id");
        String agent = requiredText(json, "agent");
        if (requestId.length() > MAX_ID_LENGTH) {
            throw new InvalidResultException(DeadLetterReason.INVALID_FIELD, "request_id is longer than "
                    + MAX_ID_LENGTH + " characters");
        }
        if (!INCIDENT_ID.matcher(incidentId).matches()) {
            throw new InvalidResultException(DeadLetterReason.INVALID_FIELD, "incident_id '" + clip(incidentId)
                    + "' is not a PagerDuty incident id (letters, digits, '_' or '-', at most 64)");
        }
        String note = optionalText(json, "note");
        if (note != null && note.isBlank()) {
            throw new InvalidResultException(DeadLetterReason.INVALID_FIELD, "note must not be blank when present");
        }
        String status = optionalText(json, "status");
        if (status != null && !STATUSES.contains(status)) {
            throw new InvalidResultException(DeadLetterReason.UNKNOWN_STATUS, "status '" + clip(status)
                    + "' is not one of acknowledged, resolved");
        }
        if (note == null && status == null) {
            throw new InvalidResultException(DeadLetterReason.MISSING_FIELD, "a result needs a note or a status (or both)");
        }
        String from = optionalText(json, "from_email");
        if (from != null && !EMAIL.matcher(from.trim()).matches()) {
            throw new InvalidResultException(DeadLetterReason.INVALID_FIELD, "from_email '" + clip(from)
                    + "' is not an email address");
        }
        String resultId = optionalText(json, "result_id");
        if (resultId != null && (resultId.isBlank() || resultId.length() > MAX_ID_LENGTH)) {
            throw new InvalidResultException(DeadLetterReason.INVALID_FIELD, "result_id must be 1 to "
                    + MAX_ID_LENGTH + " non-blank characters");
        }
        if (resultId == null) {
            resultId = defaultResultId(requestId, agent, note, status);
        }
        return new AgentResult(requestId, incidentId, agent, note, status, from == null ? null : from.trim(), resultId);
    }

    /**
     * The idempotency key of a result without {@code result_id}: lowercase hex SHA-256 of
     * {@code request_id + "\n" + agent + "\n" + note + "\n" + status} (UTF-8, absent fields as
     * empty strings). An agent publishing the same answer twice therefore writes it once.
     */
    public static String defaultResultId(String requestId, String agent, String note, String status) {
        String joined = requestId + "\n" + agent + "\n" + (note == null ? "" : note) + "\n"
                + (status == null ? "" : status);
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
                    .digest(joined.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 unavailable", e);
        }
    }

    /** A hex digest of {@link #resultId} (it is already one unless the agent chose its own). */
    public String resultDigest() {
        if (resultId.matches("[0-9a-f]{16,}")) {
            return resultId;
        }
        return defaultResultId(resultId, "", null, null);
    }

    private static String requiredText(JsonNode json, String field) throws InvalidResultException {
        JsonNode node = json.get(field);
        if (node == null || node.isNull()) {
            throw new InvalidResultException(DeadLetterReason.MISSING_FIELD, field + " is missing");
        }
        if (!node.isTextual() || node.asText().isBlank()) {
            throw new InvalidResultException(DeadLetterReason.INVALID_FIELD, field + " must be a non-empty string");
        }
        return node.asText();
    }

    private static String optionalText(JsonNode json, String field) throws InvalidResultException {
        JsonNode node = json.get(field);
        if (node == null || node.isNull()) {
            return null;
        }
        if (!node.isTextual()) {
            throw new InvalidResultException(DeadLetterReason.INVALID_FIELD, field + " must be a string");
        }
        return node.asText();
    }

    private static String clip(String s) {
        return s.length() > 80 ? s.substring(0, 80) + "…" : s;
    }
}
