package dev.pdpipeline.ingress.signature;

import static org.assertj.core.api.Assertions.assertThat;

import dev.pdpipeline.ingress.testing.Webhooks;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.EdgeCasesMode;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.statistics.Statistics;

/**
 * The signature header is attacker-controlled text. Whatever it holds, verification returns an
 * outcome (never throws), accepts only when a genuine HMAC of the body with a configured secret is
 * among the first {@value SignatureVerifier#MAX_SIGNATURES} well-formed {@code v1} entries, and
 * takes bounded time.
 */
class SignatureVerifierPropertiesTest {

    private static final String SECRET = "whsec-props-0123456789abcdef";
    private static final String OTHER = "whsec-props-other";
    private static final List<WebhookSecret> SECRETS = List.of(new WebhookSecret(SECRET, "fp-1"),
            new WebhookSecret(OTHER, "fp-2"));

    @Property(tries = 2000, edgeCases = EdgeCasesMode.MIXIN)
    void arbitraryHeadersAreNeverAccepted(@ForAll("headers") String header, @ForAll("bodies") byte[] body) {
        VerificationResult result = SignatureVerifier.verify(body, header, SECRETS);

        // a random header cannot carry an HMAC of this body, so acceptance would mean a forgery
        assertThat(result.verified()).isFalse();
        assertThat(result.matchedFingerprints()).isEmpty();
        Statistics.label("outcome").collect(result.outcome());
    }

    @Property(tries = 1000, edgeCases = EdgeCasesMode.MIXIN)
    void genuineSignatureAmongJunkIsAcceptedAndOnlyThen(@ForAll("junkEntries") List<String> before,
            @ForAll("junkEntries") List<String> after, @ForAll("bodies") byte[] body,
            @ForAll("signerSecrets") String signer, @ForAll boolean upperCase) {
        String genuine = Webhooks.sign(signer, body);
        if (upperCase) {
            genuine = "v1=" + genuine.substring(3).toUpperCase(Locale.ROOT);
        }
        String header = String.join(",", before) + (before.isEmpty() ? "" : ",") + genuine
                + (after.isEmpty() ? "" : ",") + String.join(",", after);

        VerificationResult result = SignatureVerifier.verify(body, header, SECRETS);

        long wellFormedBefore = SignatureVerifier.parse(String.join(",", before) + ",").size();
        boolean configured = signer.equals(SECRET) || signer.equals(OTHER);
        boolean expected = configured && wellFormedBefore < SignatureVerifier.MAX_SIGNATURES;
        assertThat(result.verified()).isEqualTo(expected);
        if (expected) {
            assertThat(result.matchedFingerprints()).containsExactly(signer.equals(SECRET) ? "fp-1" : "fp-2");
        }
        Statistics.label("accepted").collect(result.verified());
    }

    @Property(tries = 300)
    void nearMissesAreRejected(@ForAll("bodies") byte[] body, @ForAll @IntRange(min = 0, max = 63) int position,
            @ForAll("nearMissKinds") String kind) {
        String hex = Webhooks.sign(SECRET, body).substring(3);
        String forged = switch (kind) {
            case "flip" -> hex.substring(0, position) + (hex.charAt(position) == '0' ? '1' : '0')
                    + hex.substring(position + 1);
            case "short" -> hex.substring(0, 63);
            case "long" -> hex + "0";
            case "non-ascii-digit" -> hex.substring(0, position) + '\u0661' + hex.substring(position + 1);
            case "fullwidth" -> hex.substring(0, position) + '\uff41' + hex.substring(position + 1);
            case "v0" -> null;
            default -> throw new IllegalArgumentException(kind);
        };
        String header = forged == null ? "v0=" + hex : "v1=" + forged;

        assertThat(SignatureVerifier.verify(body, header, SECRETS).verified()).as(kind).isFalse();
    }

    @Property(tries = 200)
    void tamperedBodyIsRejected(@ForAll("bodies") byte[] body, @ForAll @IntRange(min = 0, max = 10_000) int at) {
        if (body.length == 0) {
            return;
        }
        String header = Webhooks.sign(SECRET, body);
        byte[] tampered = body.clone();
        tampered[at % body.length] ^= 0x01;

        assertThat(SignatureVerifier.verify(tampered, header, SECRETS).verified()).isFalse();
    }

    @Example
    void hugeHeaderWithThousandsOfSignaturesIsCheckedInBoundedTime() {
        byte[] body = "{\"event\":{}}".getBytes(StandardCharsets.UTF_8);
        String fake = "v1=" + "ab".repeat(32);
        String header = String.join(",", java.util.Collections.nCopies(100_000, fake)) + ","
                + Webhooks.sign(SECRET, body);
        assertThat(header.length()).isGreaterThan(6_000_000);

        long start = System.nanoTime();
        VerificationResult result = SignatureVerifier.verify(body, header, SECRETS);
        Duration elapsed = Duration.ofNanos(System.nanoTime() - start);

        // only the first MAX_SIGNATURES entries count: the genuine one at the end is not reached
        assertThat(result.verified()).isFalse();
        assertThat(elapsed).isLessThan(Duration.ofMillis(500));
    }

    @Example
    void emptyAndBlankHeadersAreMissing() {
        byte[] body = new byte[0];
        for (String header : new String[] {null, "", " ", "\t\n", "\u2003"}) {
            assertThat(SignatureVerifier.verify(body, header, SECRETS).outcome()).as(String.valueOf(header))
                    .isIn(VerificationResult.Outcome.MISSING, VerificationResult.Outcome.MALFORMED);
        }
    }

    @Provide
    Arbitrary<String> headers() {
        Arbitrary<String> any = Arbitraries.strings().all().ofMaxLength(300);
        Arbitrary<String> entries = junkEntry().list().ofMaxSize(40).map(l -> String.join(",", l));
        Arbitrary<String> huge = Arbitraries.integers().between(1_000, 200_000).map(n -> "v1=" + "a".repeat(n));
        Arbitrary<String> many = Arbitraries.integers().between(100, 5_000)
                .map(n -> ("v1=" + "0".repeat(64) + ",").repeat(n));
        return Arbitraries.frequencyOf(
                net.jqwik.api.Tuple.of(4, any), net.jqwik.api.Tuple.of(4, entries),
                net.jqwik.api.Tuple.of(1, huge), net.jqwik.api.Tuple.of(1, many));
    }

    @Provide
    Arbitrary<List<String>> junkEntries() {
        return junkEntry().list().ofMaxSize(40);
    }

    @Provide
    Arbitrary<byte[]> bodies() {
        return Arbitraries.bytes().array(byte[].class).ofMaxSize(512);
    }

    @Provide
    Arbitrary<String> signerSecrets() {
        return Arbitraries.of(SECRET, OTHER, "not-configured", SECRET + " ", SECRET.toUpperCase(Locale.ROOT));
    }

    @Provide
    Arbitrary<String> nearMissKinds() {
        return Arbitraries.of("flip", "short", "long", "non-ascii-digit", "fullwidth", "v0");
    }

    /** Entries as an attacker would write them: right shape with wrong hex, odd lengths, other versions. */
    private static Arbitrary<String> junkEntry() {
        Arbitrary<String> wrongHmac = Arbitraries.bytes().array(byte[].class).ofSize(32)
                .map(b -> "v1=" + HexFormat.of().formatHex(b));
        Arbitrary<String> oddHex = Arbitraries.strings().withChars("0123456789abcdefABCDEF").ofMaxLength(130)
                .map(h -> "v1=" + h);
        Arbitrary<String> badHex = Arbitraries.strings().withChars("0123456789abcdefgxyz -+\u0661\uff41\u00e9")
                .ofLength(64).map(h -> "v1=" + h);
        Arbitrary<String> otherVersion = Combinators.combine(Arbitraries.of("v0", "v2", "V1", "v1 ", " v1", "", "v1v1"),
                Arbitraries.strings().withChars("0123456789abcdef").ofLength(64)).as((v, h) -> v + "=" + h);
        Arbitrary<String> text = Arbitraries.strings().all().ofMaxLength(20);
        return Arbitraries.oneOf(wrongHmac, oddHex, badHex, otherVersion, text.map(t -> t.replace(",", "")));
    }
}
