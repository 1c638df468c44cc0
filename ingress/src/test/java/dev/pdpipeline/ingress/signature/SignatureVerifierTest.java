package dev.pdpipeline.ingress.signature;

import static dev.pdpipeline.ingress.testing.Webhooks.sign;
import static org.assertj.core.api.Assertions.assertThat;

import dev.pdpipeline.ingress.signature.VerificationResult.Outcome;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.Test;

class SignatureVerifierTest {

    private static final String SECRET = "whsec-current-0123456789";
    private static final String OLD_SECRET = "whsec-previous-abcdef";
    private static final WebhookSecret CURRENT = new WebhookSecret(SECRET, "fp-current");
    private static final WebhookSecret PREVIOUS = new WebhookSecret(OLD_SECRET, "fp-previous");
    private static final byte[] BODY = "{\"event\":{\"id\":\"01ABC\",\"event_type\":\"pagey.ping\"}}"
            .getBytes(StandardCharsets.UTF_8);

    @Test
    void acceptsSingleMatchingSignature() {
        VerificationResult result = SignatureVerifier.verify(BODY, sign(SECRET, BODY), List.of(CURRENT));

        assertThat(result.outcome()).isEqualTo(Outcome.VERIFIED);
        assertThat(result.matchedFingerprints()).containsExactly("fp-current");
    }

    @Test
    void acceptsRotationHeaderWhenOnlyTheSecondSignatureMatches() {
        String header = sign("some-other-secret", BODY) + "," + sign(SECRET, BODY);

        VerificationResult result = SignatureVerifier.verify(BODY, header, List.of(CURRENT));

        assertThat(result.verified()).isTrue();
        assertThat(result.matchedFingerprints()).containsExactly("fp-current");
    }

    @Test
    void reportsEverySecretThatMatchedDuringRotation() {
        String header = sign(OLD_SECRET, BODY) + "," + sign(SECRET, BODY);

        VerificationResult result = SignatureVerifier.verify(BODY, header, List.of(CURRENT, PREVIOUS));

        assertThat(result.matchedFingerprints()).containsExactly("fp-current", "fp-previous");
    }

    @Test
    void acceptsWhenAnyOfSeveralConfiguredSecretsMatches() {
        WebhookSecret third = new WebhookSecret("third-subscription", "fp-third");

        VerificationResult result = SignatureVerifier.verify(BODY, sign("third-subscription", BODY),
                List.of(CURRENT, PREVIOUS, third));

        assertThat(result.matchedFingerprints()).containsExactly("fp-third");
    }

    @Test
    void ignoresEntriesOfOtherVersions() {
        String v2 = "v2=" + sign(SECRET, BODY).substring(3);

        assertThat(SignatureVerifier.verify(BODY, v2, List.of(CURRENT)).outcome()).isEqualTo(Outcome.MALFORMED);
        assertThat(SignatureVerifier.verify(BODY, v2 + "," + sign(SECRET, BODY), List.of(CURRENT)).verified())
                .isTrue();
    }

    @Test
    void acceptsUppercaseHex() {
        String upper = "v1=" + sign(SECRET, BODY).substring(3).toUpperCase(Locale.ROOT);

        assertThat(SignatureVerifier.verify(BODY, upper, List.of(CURRENT)).verified()).isTrue();
    }

    @Test
    void signsTheRawBytesOfMultiByteUtf8Bodies() {
        byte[] body = "{\"title\":\"Zürich – 高延迟 ⚠️ \\u00e9\"}".getBytes(StandardCharsets.UTF_8);
        String header = sign(SECRET, body);

        assertThat(SignatureVerifier.verify(body, header, List.of(CURRENT)).verified()).isTrue();
        // the same text in another encoding is different bytes, so it must not verify
        byte[] reencoded = new String(body, StandardCharsets.UTF_8).getBytes(StandardCharsets.UTF_16);
        assertThat(SignatureVerifier.verify(reencoded, header, List.of(CURRENT)).outcome())
                .isEqualTo(Outcome.MISMATCH);
    }

    @Test
    void toleratesSpacesAroundEntries() {
        String header = "  v2=abc ,  " + sign(SECRET, BODY) + "  , ";

        assertThat(SignatureVerifier.verify(BODY, header, List.of(CURRENT)).verified()).isTrue();
    }

    @Test
    void reportsMissingForAbsentOrBlankHeader() {
        assertThat(SignatureVerifier.verify(BODY, null, List.of(CURRENT)).outcome()).isEqualTo(Outcome.MISSING);
        assertThat(SignatureVerifier.verify(BODY, "   ", List.of(CURRENT)).outcome()).isEqualTo(Outcome.MISSING);
    }

    @Test
    void reportsMalformedForGarbageHeaders() {
        for (String garbage : List.of("garbage", ",,,", "v1=", "v1", "=abc", "sha256=" + "a".repeat(64))) {
            assertThat(SignatureVerifier.verify(BODY, garbage, List.of(CURRENT)).outcome())
                    .as(garbage).isEqualTo(Outcome.MALFORMED);
        }
    }

    @Test
    void rejectsInvalidHex() {
        String good = sign(SECRET, BODY).substring(3);
        String nonHex = "v1=" + good.substring(0, 62) + "zz";
        String tooShort = "v1=" + good.substring(0, 62);
        String tooLong = "v1=" + good + "00";
        String nonAsciiDigit = "v1=" + good.substring(0, 63) + "\u0661"; // ARABIC-INDIC DIGIT ONE

        for (String header : List.of(nonHex, tooShort, tooLong, nonAsciiDigit)) {
            assertThat(SignatureVerifier.verify(BODY, header, List.of(CURRENT)).outcome())
                    .as(header).isEqualTo(Outcome.MALFORMED);
        }
    }

    @Test
    void reportsMismatchWhenNoSecretMatches() {
        VerificationResult result = SignatureVerifier.verify(BODY, sign("attacker-guess", BODY),
                List.of(CURRENT, PREVIOUS));

        assertThat(result.outcome()).isEqualTo(Outcome.MISMATCH);
        assertThat(result.matchedFingerprints()).isEmpty();
    }

    @Test
    void rejectsSignatureOfAnotherBody() {
        byte[] tampered = "{\"event\":{\"id\":\"01ABD\",\"event_type\":\"pagey.ping\"}}".getBytes(StandardCharsets.UTF_8);

        assertThat(SignatureVerifier.verify(tampered, sign(SECRET, BODY), List.of(CURRENT)).outcome())
                .isEqualTo(Outcome.MISMATCH);
    }

    @Test
    void reportsMismatchWhenNoSecretIsConfigured() {
        assertThat(SignatureVerifier.verify(BODY, sign(SECRET, BODY), List.of()).outcome())
                .isEqualTo(Outcome.MISMATCH);
    }

    @Test
    void verifiesEmptyBody() {
        byte[] empty = new byte[0];

        assertThat(SignatureVerifier.verify(empty, sign(SECRET, empty), List.of(CURRENT)).verified()).isTrue();
    }

    @Test
    void looksAtNoMoreThanSixteenSignatures() {
        StringBuilder header = new StringBuilder();
        for (int i = 0; i < SignatureVerifier.MAX_SIGNATURES; i++) {
            header.append(sign("decoy-" + i, BODY)).append(',');
        }
        String beyondTheCap = header + sign(SECRET, BODY);
        String withinTheCap = sign(SECRET, BODY) + "," + header;

        assertThat(SignatureVerifier.verify(BODY, beyondTheCap, List.of(CURRENT)).outcome())
                .isEqualTo(Outcome.MISMATCH);
        assertThat(SignatureVerifier.verify(BODY, withinTheCap, List.of(CURRENT)).verified()).isTrue();
        assertThat(SignatureVerifier.parse(beyondTheCap + ",".repeat(10_000) + header)).hasSize(16);
    }

    @Test
    void secretNeverAppearsInToString() {
        assertThat(CURRENT.toString()).doesNotContain(SECRET).contains("fp-current");
    }
}
