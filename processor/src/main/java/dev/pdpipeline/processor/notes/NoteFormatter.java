package dev.pdpipeline.processor.notes;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Turns an agent's note into the text(s) written to PagerDuty: the note, then a footer naming the
 * bot and the agent, ending in a marker that identifies the result
 * ({@code [pdpipeline:<16 hex>]}). The marker is how a restarted writer recognises a note it may
 * already have written. A note longer than PagerDuty's limit is split into numbered parts, each
 * with its own marker ({@code [pdpipeline:<16 hex>:2/3]}); beyond {@code maxParts} parts the rest
 * is cut off visibly. Nothing is ever dropped silently.
 */
public final class NoteFormatter {

    /** PagerDuty's note content limit (not stated in the OpenAPI document; PagerDuty's docs say 25,000). */
    public static final int DEFAULT_MAX_CHARS = 25_000;
    /** Most parts one result's note is split into. */
    public static final int DEFAULT_MAX_PARTS = 10;
    /** Hex characters of the result id kept in the marker (64 bits). */
    public static final int MARKER_HEX = 16;

    static final String MARKER_PREFIX = "[pdpipeline:";
    static final String TRUNCATED = "\n\n… [truncated by pdpipeline: %d more characters not shown]";

    private final int maxChars;
    private final int maxParts;

    public NoteFormatter(int maxChars, int maxParts) {
        if (maxChars < 200) {
            throw new IllegalArgumentException("maxChars must be at least 200, was " + maxChars);
        }
        if (maxParts < 1) {
            throw new IllegalArgumentException("maxParts must be at least 1, was " + maxParts);
        }
        this.maxChars = maxChars;
        this.maxParts = maxParts;
    }

    public static NoteFormatter defaults() {
        return new NoteFormatter(DEFAULT_MAX_CHARS, DEFAULT_MAX_PARTS);
    }

    /** The marker of a whole note, or of part {@code part} of {@code parts} when parts > 1. */
    public static String marker(String resultDigest, int part, int parts) {
        String id = resultDigest.substring(0, Math.min(MARKER_HEX, resultDigest.length()));
        return parts <= 1 ? MARKER_PREFIX + id + "]" : MARKER_PREFIX + id + ":" + part + "/" + parts + "]";
    }

    /**
     * The note texts to write, in order; each at most {@code maxChars} characters (UTF-16 units,
     * which never undercounts characters) and ending in its marker.
     */
    public List<Part> format(String bot, String agent, String resultDigest, String note) {
        Objects.requireNonNull(bot, "bot");
        Objects.requireNonNull(agent, "agent");
        Objects.requireNonNull(resultDigest, "resultDigest");
        Objects.requireNonNull(note, "note");
        String body = note.strip();
        String single = body + footer(bot, agent, marker(resultDigest, 1, 1));
        if (single.length() <= maxChars) {
            return List.of(new Part(1, 1, single, marker(resultDigest, 1, 1)));
        }
        // the longest footer any part can have (part numbers up to maxParts)
        int footerRoom = footer(bot, agent, marker(resultDigest, maxParts, maxParts)).length();
        int room = maxChars - footerRoom;
        int truncatedRoom = String.format(TRUNCATED, body.length()).length();
        List<String> chunks = new ArrayList<>();
        int pos = 0;
        while (pos < body.length()) {
            boolean lastAllowed = chunks.size() == maxParts - 1;
            int limit = lastAllowed && body.length() - pos > room ? room - truncatedRoom : room;
            if (body.length() - pos <= limit) {
                chunks.add(body.substring(pos));
                pos = body.length();
                break;
            }
            int end = cut(body, pos, pos + limit);
            String chunk = body.substring(pos, end);
            pos = end;
            if (lastAllowed) {
                chunks.add(chunk + String.format(TRUNCATED, body.length() - pos));
                pos = body.length();
                break;
            }
            chunks.add(chunk);
        }
        int n = chunks.size();
        List<Part> parts = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            String marker = marker(resultDigest, i + 1, n);
            parts.add(new Part(i + 1, n, chunks.get(i).strip() + footer(bot, agent, marker), marker));
        }
        return List.copyOf(parts);
    }

    /** Where to end a chunk: the last paragraph or line break, else space, in the window; never inside a surrogate pair. */
    private static int cut(String s, int from, int max) {
        int floor = from + (max - from) / 2;
        int at = s.lastIndexOf("\n\n", max - 2);
        if (at >= floor) {
            return at + 2;
        }
        at = s.lastIndexOf('\n', max - 1);
        if (at >= floor) {
            return at + 1;
        }
        at = s.lastIndexOf(' ', max - 1);
        if (at >= floor) {
            return at + 1;
        }
        return Character.isLowSurrogate(s.charAt(max)) ? max - 1 : max;
    }

    private static String footer(String bot, String agent, String marker) {
        return "\n\n— " + bot + " · agent " + agent + " · " + marker;
    }

    /**
     * One note to write.
     *
     * @param index   1-based
     * @param of      how many parts the result has
     * @param content the full text, footer and marker included
     * @param marker  the marker this part ends with
     */
    public record Part(int index, int of, String content, String marker) {
    }
}
