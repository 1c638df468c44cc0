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
     * The raw HMAC-SHA256 of {@code body} keyed with {@code key}. A fresh {@link Mac} per call, so
     * nothing keyed outlives it; a verifier that checks every delivery uses {@link #keyed} instead.
     */
    public static byte[] hmac(byte[] key, byte[] body) {
        Objects.requireNonNull(body, "body");
        return mac(new SecretKeySpec(Objects.requireNonNull(key, "key"), HMAC_SHA256)).doFinal(body);
    }

    /** A {@link Mac} initialised with {@code key}. */
    private static Mac mac(SecretKeySpec key) {
        try {
            Mac mac = Mac.getInstance(HMAC_SHA256);
            mac.init(key);
            return mac;
        } catch (NoSuchAlgorithmException | InvalidKeyException e) {
            // HmacSHA256 is mandatory on every Java platform; a non-empty key is always valid.
            throw new IllegalStateException("HMAC-SHA256 unavailable", e);
        }
    }

    /**
     * An HMAC-SHA256 keyed once, for a verifier that checks every delivery against the same
     * secrets: {@code Mac.getInstance} and {@code init} (the provider lookup and the key schedule)
     * cost more than hashing a 2-8 KB delivery, so each thread keeps one initialised {@link Mac}
     * per key and {@code doFinal} resets it for the next body.
     *
     * @param key the secret's bytes (copied)
     */
    public static Keyed keyed(byte[] key) {
        return new Keyed(key);
    }

    /** See {@link #keyed}. Thread-safe; {@link #toString()} shows no key. */
    public static final class Keyed {
        private final ThreadLocal<Mac> macs;

        private Keyed(byte[] key) {
            SecretKeySpec spec = new SecretKeySpec(Objects.requireNonNull(key, "key"), HMAC_SHA256);
            this.macs = ThreadLocal.withInitial(() -> mac(spec));
        }

        /** The raw HMAC-SHA256 of {@code body}, as {@link WebhookSignature#hmac(byte[], byte[])}. */
        public byte[] hmac(byte[] body) {
            return macs.get().doFinal(Objects.requireNonNull(body, "body"));
        }

        @Override
        public String toString() {
            return "WebhookSignature.Keyed[HmacSHA256]";
        }
    }

    /** The {@code X-PagerDuty-Signature} header value for one secret: {@code v1=<hex>}. */
    public static String header(String secret, byte[] body) {
        return V1_PREFIX + HexFormat.of().formatHex(hmac(secret, body));
    }
}
