package dev.pdpipeline.common.trigger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class TriggerSetTest {

    private static Trigger trigger(String name, boolean enabled, String secret) {
        return new Trigger(name, null, Path.of("t.yaml"), "agent-" + name, enabled, secret, "u+token-" + name, null,
                null, List.of(), List.of(), List.of(), null, null, Map.of(), null);
    }

    private final Trigger on = trigger("on", true, "secret-one");
    private final Trigger off = trigger("off", false, "secret-two");
    private final Trigger sameSecret = trigger("same", true, "secret-one");
    private final TriggerSet set = new TriggerSet(List.of(on, off, sameSecret));

    @Test
    void enabledLeavesOutDisabledTriggers() {
        assertThat(set.enabled()).containsExactly(on, sameSecret);
    }

    @Test
    void webhookSecretsIncludeThoseOfDisabledTriggers() {
        assertThat(set.webhookSecrets()).containsExactly("secret-one", "secret-two");
    }

    @Test
    void findsTriggersByNameAndByFingerprint() {
        assertThat(set.byName("off")).contains(off);
        assertThat(set.byName("missing")).isEmpty();
        assertThat(set.byFingerprint(SecretFingerprint.of("secret-one"))).containsExactly(on, sameSecret);
        assertThat(set.byFingerprint(SecretFingerprint.of("secret-two"))).containsExactly(off);
        assertThat(set.byFingerprint("0000000000000000")).isEmpty();
    }

    @Test
    void isImmutableAndKeepsLoadOrder() {
        List<Trigger> source = new ArrayList<>(List.of(on, off));
        TriggerSet copy = new TriggerSet(source);
        source.clear();
        assertThat(copy.triggers()).containsExactly(on, off);
        assertThatThrownBy(() -> copy.triggers().add(sameSecret)).isInstanceOf(UnsupportedOperationException.class);
        assertThat(copy.isEmpty()).isFalse();
        assertThat(TriggerSet.empty().isEmpty()).isTrue();
    }

    @Test
    void rejectsDuplicateNames() {
        assertThatThrownBy(() -> new TriggerSet(List.of(on, trigger("on", false, "x"))))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("'on'");
    }

    @Test
    void toStringMasksSecretAndToken() {
        String text = on.toString() + set;
        assertThat(text).doesNotContain("secret-one", "secret-two", "u+token-on", "u+token-off")
                .contains("webhookSecret=****", "apiToken=****", "secretFingerprint=" + on.secretFingerprint());
    }

    @Test
    void defaultsBotNameAndCollections() {
        assertThat(on.botName()).isEqualTo(Trigger.DEFAULT_BOT_NAME);
        assertThat(on.parameters().isObject()).isTrue();
        assertThat(on.secretFingerprint()).isEqualTo(SecretFingerprint.of("secret-one"));
    }
}
