package dev.pdpipeline.ingress;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.pdpipeline.ingress.http.WebhookServer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.apache.kafka.common.config.ConfigException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The variables of the idle timeout and the optional defences: off by default, validated, secrets hidden. */
class IngressConfigDefencesTest {

    private static final String HIDDEN = "very-secret-value-0042";

    @TempDir
    Path dir;

    private Map<String, String> env(String... pairs) {
        Map<String, String> env = new HashMap<>();
        env.put(IngressConfig.TRIGGERS_PATH, dir.toString());
        for (int i = 0; i < pairs.length; i += 2) {
            env.put(pairs[i], pairs[i + 1]);
        }
        return env;
    }

    @Test
    void everyDefenceIsOffByDefault() {
        IngressConfig config = IngressConfig.fromEnv(env());

        assertThat(config.idleTimeout()).isEqualTo(Duration.ofSeconds(30));
        assertThat(config.allowedCidrs()).isEmpty();
        assertThat(config.trustForwardedFor()).isFalse();
        assertThat(config.requiredHeaderName()).isEmpty();
        assertThat(config.tls()).isEmpty();
    }

    @Test
    void readsTheDefences() throws IOException {
        Path keystore = Files.writeString(dir.resolve("k.p12"), "x");
        Path truststore = Files.writeString(dir.resolve("t.p12"), "x");
        IngressConfig config = IngressConfig.fromEnv(env(
                "INGRESS_IDLE_TIMEOUT_MS", "10000",
                "INGRESS_ALLOWED_CIDRS", "203.0.113.0/24, 2001:db8::/32",
                "INGRESS_TRUST_FORWARDED_FOR", "true", "INGRESS_TRUSTED_PROXY_CIDRS", "10.0.0.0/8",
                "INGRESS_REQUIRED_HEADER_NAME", "X-Shared-Token", "INGRESS_REQUIRED_HEADER_VALUE", HIDDEN,
                "INGRESS_TLS_KEYSTORE_PATH", keystore.toString(), "INGRESS_TLS_KEYSTORE_PASSWORD", HIDDEN,
                "INGRESS_TLS_KEYSTORE_TYPE", "jks", "INGRESS_TLS_TRUSTSTORE_PATH", truststore.toString(),
                "INGRESS_TLS_TRUSTSTORE_PASSWORD", HIDDEN, "INGRESS_TLS_CLIENT_AUTH", "NEED"));

        assertThat(config.idleTimeout()).isEqualTo(Duration.ofSeconds(10));
        assertThat(config.allowedCidrs()).hasSize(2);
        assertThat(config.trustForwardedFor()).isTrue();
        assertThat(config.trustedProxies()).hasSize(1);
        assertThat(config.requiredHeaderName()).contains("X-Shared-Token");
        assertThat(config.requiredHeaderValue()).isEqualTo(HIDDEN);
        WebhookServer.Tls tls = config.tls().orElseThrow();
        assertThat(tls.keystoreType()).isEqualTo("JKS");
        assertThat(tls.clientAuth()).isEqualTo(WebhookServer.ClientAuth.NEED);
        assertThat(config.toString()).doesNotContain(HIDDEN).contains("X-Shared-Token", "tls=need");
    }

    @Test
    void rejectsBadSettingsNamingTheVariableWithoutShowingSecrets() throws IOException {
        Path keystore = Files.writeString(dir.resolve("k.p12"), "x");
        Map<String[], String> cases = new java.util.LinkedHashMap<>();
        cases.put(new String[] {"INGRESS_ALLOWED_CIDRS", "10.0.0.0/40"}, "INGRESS_ALLOWED_CIDRS");
        cases.put(new String[] {"INGRESS_ALLOWED_CIDRS", "my-proxy.internal"}, "INGRESS_ALLOWED_CIDRS");
        cases.put(new String[] {"INGRESS_TRUST_FORWARDED_FOR", "true", "INGRESS_ALLOWED_CIDRS", "10.0.0.0/8"},
                "INGRESS_TRUSTED_PROXY_CIDRS");
        cases.put(new String[] {"INGRESS_TRUST_FORWARDED_FOR", "true", "INGRESS_TRUSTED_PROXY_CIDRS", "10.0.0.0/8"},
                "INGRESS_TRUST_FORWARDED_FOR");
        cases.put(new String[] {"INGRESS_REQUIRED_HEADER_VALUE", HIDDEN}, "INGRESS_REQUIRED_HEADER_NAME");
        cases.put(new String[] {"INGRESS_REQUIRED_HEADER_NAME", "X-Token"}, "INGRESS_REQUIRED_HEADER_VALUE");
        cases.put(new String[] {"INGRESS_REQUIRED_HEADER_NAME", "bad name", "INGRESS_REQUIRED_HEADER_VALUE", HIDDEN},
                "INGRESS_REQUIRED_HEADER_NAME");
        cases.put(new String[] {"INGRESS_TLS_KEYSTORE_PASSWORD", HIDDEN}, "INGRESS_TLS_KEYSTORE_PATH");
        cases.put(new String[] {"INGRESS_TLS_KEYSTORE_PATH", keystore.toString()}, "INGRESS_TLS_KEYSTORE_PASSWORD");
        cases.put(new String[] {"INGRESS_TLS_KEYSTORE_PATH", dir.resolve("none.p12").toString(),
                "INGRESS_TLS_KEYSTORE_PASSWORD", HIDDEN}, "INGRESS_TLS_KEYSTORE_PATH");
        cases.put(new String[] {"INGRESS_TLS_KEYSTORE_PATH", keystore.toString(), "INGRESS_TLS_KEYSTORE_PASSWORD",
                HIDDEN, "INGRESS_TLS_CLIENT_AUTH", "need"}, "INGRESS_TLS_TRUSTSTORE_PATH");
        cases.put(new String[] {"INGRESS_TLS_KEYSTORE_PATH", keystore.toString(), "INGRESS_TLS_KEYSTORE_PASSWORD",
                HIDDEN, "INGRESS_TLS_CLIENT_AUTH", "sometimes"}, "INGRESS_TLS_CLIENT_AUTH");
        cases.put(new String[] {"INGRESS_TLS_KEYSTORE_TYPE", "PEM"}, "INGRESS_TLS_KEYSTORE_TYPE");
        cases.put(new String[] {"INGRESS_IDLE_TIMEOUT_MS", "2000"}, "INGRESS_IDLE_TIMEOUT_MS");

        cases.forEach((pairs, variable) -> assertThatThrownBy(() -> IngressConfig.fromEnv(env(pairs)))
                .as(String.join(" ", pairs)).isInstanceOf(ConfigException.class)
                .hasMessageContaining(variable).message().doesNotContain(HIDDEN));
    }
}
