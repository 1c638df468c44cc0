package dev.pdpipeline.common.signature;

import java.nio.charset.StandardCharsets;
import java.security.InvalidKeyException;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Objects;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * PagerDuty's V3 webhook signature: {@code v1=} followed by the lowercase hex HMAC-SHA256 of the
 * raw request body, keyed with the subscription's secret. One implementation for everything that
 * signs (the test-event command, tests, benchmarks) and for the ingress that verifies.
 */
public final class WebhookSignature {

    /** The only signature version PagerDuty defines today. */
    public static final String V1_PREFIX = "v1=";

    private static final String HMAC_SHA256 = "HmacSHA256";

    private WebhookSignature() {
    }

    /** The raw HMAC-SHA256 of {@code body} keyed with {@code secret} (UTF-8). */
    public static byte[] hmac(String secret, byte[] body) {
        Objects.requireNonNull(secret, "secret");
        return hmac(secret.getBytes(StandardCharsets.UTF_8), body);
    }

    /**
     * The raw HMAC-SHA256 of {@code body} keyed with {@code key}, for callers that hold the key as
     * bytes only (the ingress keeps no secret as a String). A fresh {@link Mac} per call, so
     * nothing keyed outlives it.
     */
    public static byte[] hmac(byte[] key, byte[] body) {
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(body, "body");
        try {
            Mac mac = Mac.getInstance(HMAC_SHA256);
            mac.init(new SecretKeySpec(key, HMAC_SHA256));
            return mac.doFinal(body);
        } catch (NoSuchAlgorithmException | InvalidKeyException e) {
            // HmacSHA256 is mandatory on every Java platform; a non-empty key is always valid.
            throw new IllegalStateException("HMAC-SHA256 unavailable", e);
        }
    }

    /** The {@code X-PagerDuty-Signature} header value for one secret: {@code v1=<hex>}. */
    public static String header(String secret, byte[] body) {
        return V1_PREFIX + HexFormat.of().formatHex(hmac(secret, body));
    }
}
