package dev.pdpipeline.ingress.signature;

import java.util.List;
import java.util.Locale;
import java.util.Objects;

/**
 * Outcome of checking one delivery's {@code X-PagerDuty-Signature}.
 *
 * @param outcome             what happened
 * @param matchedFingerprints fingerprints of every configured secret that produced one of the
 *                            signatures, in configuration order; empty unless verified
 */
public record VerificationResult(Outcome outcome, List<String> matchedFingerprints) {

    /** Why a delivery was or was not authenticated; the lower-case name is the metric tag. */
    public enum Outcome {
        /** At least one {@code v1} signature matched a configured secret. */
        VERIFIED,
        /** No signature header, or a blank one. */
        MISSING,
        /** A header without a single well-formed {@code v1} signature. */
        MALFORMED,
        /** Well-formed {@code v1} signatures, none made with a configured secret. */
        MISMATCH;

        /** Lower-case name, used as the {@code reason} metric tag and in error bodies. */
        public String tag() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    public VerificationResult {
        Objects.requireNonNull(outcome, "outcome");
        matchedFingerprints = List.copyOf(Objects.requireNonNull(matchedFingerprints, "matchedFingerprints"));
        if ((outcome == Outcome.VERIFIED) == matchedFingerprints.isEmpty()) {
            throw new IllegalArgumentException("a verified result needs fingerprints, a failed one must have none");
        }
    }

    static VerificationResult failed(Outcome outcome) {
        return new VerificationResult(outcome, List.of());
    }

    /** Whether the delivery is authentic. */
    public boolean verified() {
        return outcome == Outcome.VERIFIED;
    }
}
