package dev.pdpipeline.ingress.signature;

import dev.pdpipeline.common.signature.WebhookSignature;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Objects;

/**
 * One configured webhook secret with its public fingerprint.
 *
 * <p>The key bytes never leave this class except into an HMAC; {@link #toString()} shows only the
 * fingerprint, so a secret cannot reach a log by accident.
 */
public final class WebhookSecret {

    private final byte[] key;
    private final WebhookSignature.Keyed hmac;
    private final String fingerprint;

    /**
     * @param secret      the subscription secret, as configured (its UTF-8 bytes are the HMAC key)
     * @param fingerprint its {@code SecretFingerprint}, safe to publish
     */
    public WebhookSecret(String secret, String fingerprint) {
        Objects.requireNonNull(secret, "secret");
        Objects.requireNonNull(fingerprint, "fingerprint");
        if (secret.isEmpty()) {
            throw new IllegalArgumentException("webhook secret must not be empty (fingerprint " + fingerprint + ")");
        }
        this.key = secret.getBytes(StandardCharsets.UTF_8);
        this.hmac = WebhookSignature.keyed(key);
        this.fingerprint = fingerprint;
    }

    /** The HMAC-SHA256 of {@code body} under this secret (a keyed {@code Mac} reused per thread). */
    byte[] hmac(byte[] body) {
        return hmac.hmac(body);
    }

    /** The fingerprint: safe for logs, headers and metrics. */
    public String fingerprint() {
        return fingerprint;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof WebhookSecret other && fingerprint.equals(other.fingerprint) && Arrays.equals(key, other.key);
    }

    @Override
    public int hashCode() {
        return fingerprint.hashCode();
    }

    @Override
    public String toString() {
        return "WebhookSecret[fingerprint=" + fingerprint + "]";
    }
}
