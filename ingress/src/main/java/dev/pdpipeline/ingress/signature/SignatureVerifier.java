package dev.pdpipeline.ingress.signature;

import dev.pdpipeline.common.signature.WebhookSignature;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HexFormat;
import java.util.List;
import java.util.Objects;

/**
 * Verifies PagerDuty V3 webhook signatures.
 *
 * <p>PagerDuty's rules: {@code X-PagerDuty-Signature} is a comma-separated list of
 * {@code <version>=<hex>} entries (several during a secret rotation); only {@code v1} exists, and
 * other versions are ignored; {@code v1} is the hex HMAC-SHA256 of the raw request body keyed with
 * the subscription secret; a delivery is authentic when any signature matches any secret.
 *
 * <p>Work is bounded whatever the header holds: each secret's HMAC is computed once per delivery
 * (not once per signature), and only the first {@value #MAX_SIGNATURES} {@code v1} entries are
 * considered. PagerDuty sends one or two; a header with thousands cannot make us spend more.
 * Comparison is constant-time ({@link MessageDigest#isEqual}). The HMAC itself is
 * {@link WebhookSignature.Keyed}, keyed once per secret, beside the one-off
 * {@link WebhookSignature#hmac(byte[], byte[])} the signing side uses (tests check they agree).
 *
 * <p>Pure and thread-safe; it never logs, and its results carry fingerprints only.
 */
public final class SignatureVerifier {

    /** Name of the HTTP header PagerDuty signs deliveries with. */
    public static final String HEADER = "X-PagerDuty-Signature";
    /** The only signature version PagerDuty defines. */
    public static final String VERSION_PREFIX = WebhookSignature.V1_PREFIX;
    /** Most {@code v1} entries looked at; later ones are ignored. */
    public static final int MAX_SIGNATURES = 16;

    /** HMAC-SHA256 is 32 bytes, 64 hex characters. */
    private static final int SIGNATURE_HEX_LENGTH = 64;
    private static final HexFormat HEX = HexFormat.of();

    private SignatureVerifier() {
    }

    /**
     * Checks a delivery.
     *
     * @param rawBody the request body exactly as received (never decoded and re-encoded)
     * @param header  the {@code X-PagerDuty-Signature} value, or null when absent
     * @param secrets every secret currently configured (all triggers)
     * @return the outcome and, when verified, the fingerprints of every secret that matched
     */
    public static VerificationResult verify(byte[] rawBody, String header, Collection<WebhookSecret> secrets) {
        Objects.requireNonNull(rawBody, "rawBody");
        Objects.requireNonNull(secrets, "secrets");
        if (header == null || header.isBlank()) {
            return VerificationResult.failed(VerificationResult.Outcome.MISSING);
        }
        List<byte[]> signatures = parse(header);
        if (signatures.isEmpty()) {
            return VerificationResult.failed(VerificationResult.Outcome.MALFORMED);
        }
        List<String> matched = new ArrayList<>();
        for (WebhookSecret secret : secrets) {
            byte[] expected = secret.hmac(rawBody);
            boolean match = false;
            for (byte[] signature : signatures) {
                // no early exit: the time spent does not depend on which signature matched
                match |= MessageDigest.isEqual(expected, signature);
            }
            if (match && !matched.contains(secret.fingerprint())) {
                matched.add(secret.fingerprint());
            }
        }
        return matched.isEmpty()
                ? VerificationResult.failed(VerificationResult.Outcome.MISMATCH)
                : new VerificationResult(VerificationResult.Outcome.VERIFIED, matched);
    }

    /**
     * The well-formed {@code v1} signatures of a header, decoded, at most {@value #MAX_SIGNATURES}.
     * Entries of other versions and malformed entries are skipped.
     */
    static List<byte[]> parse(String header) {
        List<byte[]> signatures = new ArrayList<>();
        int start = 0;
        int length = header.length();
        while (start <= length && signatures.size() < MAX_SIGNATURES) {
            int comma = header.indexOf(',', start);
            int end = comma < 0 ? length : comma;
            String entry = header.substring(start, end).strip();
            if (entry.startsWith(VERSION_PREFIX)) {
                byte[] decoded = decodeHex(entry.substring(VERSION_PREFIX.length()).strip());
                if (decoded != null) {
                    signatures.add(decoded);
                }
            }
            if (comma < 0) {
                break;
            }
            start = comma + 1;
        }
        return signatures;
    }

    /** Hex of either case to bytes; null unless exactly 64 hex characters. */
    private static byte[] decodeHex(String hex) {
        if (hex.length() != SIGNATURE_HEX_LENGTH) {
            return null;
        }
        for (int i = 0; i < hex.length(); i++) {
            if (!HexFormat.isHexDigit(hex.charAt(i))) {
                return null;
            }
        }
        return HEX.parseHex(hex);
    }
}
