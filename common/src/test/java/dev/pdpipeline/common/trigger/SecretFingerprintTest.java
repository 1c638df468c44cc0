package dev.pdpipeline.common.trigger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class SecretFingerprintTest {

    @Test
    void isTheTruncatedHmacOfTheFixedMessageKeyedWithTheSecret() {
        // expected values computed independently (Python hmac module)
        assertThat(SecretFingerprint.of("correct-horse-battery-staple")).isEqualTo("3e41d8da924730cb");
        assertThat(SecretFingerprint.of("whsec-a")).isEqualTo("e2b02c88d955b098");
        assertThat(SecretFingerprint.of("whsec-b")).isEqualTo("036482c6bd47c5c3");
    }

    @Test
    void isStableAcrossCalls() {
        assertThat(SecretFingerprint.of("whsec-a")).isEqualTo(SecretFingerprint.of("whsec-a"));
    }

    @Test
    void isSixteenLowercaseHexCharactersThatDoNotContainTheSecret() {
        String secret = "abc123";
        String fingerprint = SecretFingerprint.of(secret);
        assertThat(fingerprint).matches("[0-9a-f]{16}").doesNotContain(secret);
        // not a plain hash of the secret either, which could be looked up in precomputed tables
        assertThat(fingerprint).isNotEqualTo(sha256Prefix(secret));
    }

    @Test
    void refusesAnEmptySecret() {
        assertThatThrownBy(() -> SecretFingerprint.of("")).isInstanceOf(IllegalArgumentException.class);
    }

    private static String sha256Prefix(String s) {
        try {
            byte[] d = java.security.MessageDigest.getInstance("SHA-256")
                    .digest(s.getBytes(java.nio.charset.StandardCharsets.UTF_8));
            return java.util.HexFormat.of().formatHex(d).substring(0, 16);
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
