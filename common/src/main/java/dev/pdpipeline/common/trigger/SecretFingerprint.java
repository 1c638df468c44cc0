package dev.pdpipeline.common.trigger;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.util.HexFormat;
import java.util.Objects;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * A short, stable identifier of a webhook secret, safe to put in logs, Kafka headers and metrics.
 *
 * <p>It lets services tell which secret authenticated a delivery without ever carrying the secret.
 * The secret is the HMAC <em>key</em> over a fixed, project-specific message: the result cannot be
 * inverted, and nobody without the secret can compute it.
 */
public final class SecretFingerprint {

    /** The fixed message; versioned so the scheme can change without ambiguity. */
    static final String MESSAGE = "pdpipeline-secret-fingerprint-v1";
    /** Hex characters kept: 64 bits, plenty to tell a handful of secrets apart. */
    static final int LENGTH = 16;

    private SecretFingerprint() {
    }

    /**
     * HMAC-SHA256(key = secret as UTF-8, message = {@value #MESSAGE}), lowercase hex, first 16 chars.
     *
     * @throws IllegalArgumentException when the secret is empty (HMAC needs a key)
     */
    public static String of(String secret) {
        Objects.requireNonNull(secret, "secret");
        if (secret.isEmpty()) {
            throw new IllegalArgumentException("secret must not be empty");
        }
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
            byte[] digest = mac.doFinal(MESSAGE.getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(digest).substring(0, LENGTH);
        } catch (GeneralSecurityException e) {
            // HmacSHA256 is mandatory on every Java platform
            throw new IllegalStateException("HmacSHA256 unavailable", e);
        }
    }
}
