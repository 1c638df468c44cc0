package dev.pdpipeline.bench.load;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.pdpipeline.common.json.Json;
import dev.pdpipeline.launcher.sample.SampleEvents;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.time.Instant;
import java.util.HexFormat;
import java.util.Objects;
import java.util.Random;
import java.util.UUID;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Distinct PagerDuty V3 deliveries of realistic size. PagerDuty's own samples are 1–2 KB; real
 * incidents carry long descriptions and custom fields, so each event is padded with both to a
 * size drawn uniformly from [minBytes, maxBytes] (2–8 KB by default). Seeded, so runs compare.
 */
public final class Payloads {

    private static final String[] WORDS = ("checkout latency p99 above SLO upstream payment gateway timeout "
            + "database connection pool exhausted retry storm kubernetes pod restart node pressure memory "
            + "cpu throttling error budget burn rate alert runbook customer impact region failover cache miss "
            + "queue backlog consumer lag deploy rollback canary").split(" ");

    private final Random random;
    private final int minBytes;
    private final int maxBytes;

    public Payloads(long seed, int minBytes, int maxBytes) {
        if (minBytes < 512 || maxBytes < minBytes) {
            throw new IllegalArgumentException("payload sizes must satisfy 512 <= min <= max, got " + minBytes + ".."
                    + maxBytes);
        }
        this.random = new Random(seed);
        this.minBytes = minBytes;
        this.maxBytes = maxBytes;
    }

    /** One delivery: body bytes and the identifiers a test needs to follow it. */
    public record Event(String eventId, String incidentId, String eventType, String priority, byte[] body) {
        public Event {
            Objects.requireNonNull(body, "body");
        }
    }

    /** A distinct event of {@code eventType} with {@code priority} (null: none), padded to size. */
    public Event next(String eventType, String priority) {
        String eventId = new UUID(random.nextLong(), random.nextLong()).toString();
        String incidentId = "Q" + Long.toString(random.nextLong() & Long.MAX_VALUE, 36).toUpperCase();
        SampleEvents.Spec spec = new SampleEvents.Spec(eventType, eventId, incidentId, 1 + random.nextInt(999_999),
                title(), priority, random.nextInt(4) == 0 ? "low" : "high", "PSVC" + random.nextInt(40),
                "service-" + random.nextInt(40), "PTEAM" + random.nextInt(8), "team-" + random.nextInt(8),
                Instant.now());
        ObjectNode root = SampleEvents.deliveryNode(spec);
        ObjectNode data = (ObjectNode) root.path("event").path("data");
        ArrayNode fields = data.putArray("custom_fields");
        String[][] custom = {{"environment", "production"}, {"region", "eu-west-" + (1 + random.nextInt(3))},
            {"customer_tier", random.nextBoolean() ? "enterprise" : "standard"}, {"component", WORDS[random.nextInt(WORDS.length)]},
            {"runbook", "https://runbooks.example.com/" + WORDS[random.nextInt(WORDS.length)]}};
        for (String[] f : custom) {
            ObjectNode field = fields.addObject();
            field.put("id", "PFIELD" + Integer.toHexString(f[0].hashCode()).toUpperCase());
            field.put("type", "field_value");
            field.put("name", f[0]);
            field.put("display_name", f[0].replace('_', ' '));
            field.put("data_type", "string");
            field.put("field_type", "single_value");
            field.put("value", f[1]);
        }
        int target = minBytes + (maxBytes == minBytes ? 0 : random.nextInt(maxBytes - minBytes + 1));
        int base = bytes(root).length + "\"description\":\"\",".length();
        data.put("description", words(Math.max(0, target - base)));
        return new Event(eventId, incidentId, eventType, priority, bytes(root));
    }

    /** {@code v1=<hex HMAC-SHA256>} of the body, as PagerDuty signs it. */
    public static String sign(byte[] body, String secret) {
        return dev.pdpipeline.common.signature.WebhookSignature.header(secret, body);
    }

    private String title() {
        return WORDS[random.nextInt(WORDS.length)] + " " + WORDS[random.nextInt(WORDS.length)] + " on "
                + WORDS[random.nextInt(WORDS.length)];
    }

    private String words(int length) {
        StringBuilder b = new StringBuilder(length + 16);
        while (b.length() < length) {
            b.append(WORDS[random.nextInt(WORDS.length)]).append(' ');
        }
        b.setLength(length);
        return b.toString();
    }

    private static byte[] bytes(ObjectNode node) {
        try {
            return Json.mapper().writeValueAsBytes(node);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}
