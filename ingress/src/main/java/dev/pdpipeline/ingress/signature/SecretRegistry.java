package dev.pdpipeline.ingress.signature;

import dev.pdpipeline.common.trigger.SecretFingerprint;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;

/**
 * The webhook secrets accepted right now. Replaced as a whole when the triggers reload, so a
 * request sees either the old or the new set, never a mix.
 */
public final class SecretRegistry implements Supplier<List<WebhookSecret>> {

    private final AtomicReference<List<WebhookSecret>> current;

    private SecretRegistry(List<WebhookSecret> secrets) {
        this.current = new AtomicReference<>(secrets);
    }

    /**
     * @throws IllegalArgumentException when {@code secrets} is empty: an ingress that accepts no
     *                                  secret would answer every delivery 401
     */
    public static SecretRegistry of(Collection<String> secrets) {
        return new SecretRegistry(toSecrets(secrets));
    }

    /** Replaces the accepted secrets (same rule as {@link #of}). */
    public void replace(Collection<String> secrets) {
        current.set(toSecrets(secrets));
    }

    @Override
    public List<WebhookSecret> get() {
        return current.get();
    }

    /** How many distinct secrets are accepted. */
    public int size() {
        return current.get().size();
    }

    /** The fingerprints of the accepted secrets, for logs. */
    public List<String> fingerprints() {
        return current.get().stream().map(WebhookSecret::fingerprint).toList();
    }

    private static List<WebhookSecret> toSecrets(Collection<String> secrets) {
        Objects.requireNonNull(secrets, "secrets");
        List<WebhookSecret> result = new ArrayList<>();
        for (String secret : secrets) {
            Objects.requireNonNull(secret, "secret");
            WebhookSecret s = new WebhookSecret(secret, SecretFingerprint.of(secret));
            if (!result.contains(s)) {
                result.add(s);
            }
        }
        if (result.isEmpty()) {
            throw new IllegalArgumentException("no webhook secret configured: every delivery would be rejected");
        }
        return List.copyOf(result);
    }
}
