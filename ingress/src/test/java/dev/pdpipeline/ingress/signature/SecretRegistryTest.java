package dev.pdpipeline.ingress.signature;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.pdpipeline.common.trigger.SecretFingerprint;
import java.util.List;
import org.junit.jupiter.api.Test;

class SecretRegistryTest {

    @Test
    void fingerprintsEachDistinctSecretOnce() {
        SecretRegistry registry = SecretRegistry.of(List.of("alpha", "beta", "alpha"));

        assertThat(registry.fingerprints()).containsExactly(SecretFingerprint.of("alpha"), SecretFingerprint.of("beta"));
        assertThat(registry.toString()).doesNotContain("alpha");
    }

    @Test
    void replacesTheWholeSetAtOnce() {
        SecretRegistry registry = SecretRegistry.of(List.of("alpha"));

        registry.replace(List.of("gamma"));

        assertThat(registry.get()).extracting(WebhookSecret::fingerprint).containsExactly(SecretFingerprint.of("gamma"));
    }

    @Test
    void refusesAnEmptySet() {
        assertThatThrownBy(() -> SecretRegistry.of(List.of()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("no webhook secret");
    }
}
