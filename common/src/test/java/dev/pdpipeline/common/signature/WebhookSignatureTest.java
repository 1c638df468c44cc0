package dev.pdpipeline.common.signature;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class WebhookSignatureTest {

    @Test
    void signsTheRawUtf8BytesLikePagerDuty() {
        // expected value computed independently with Python's hmac module
        byte[] body = "incident Ω ✓".getBytes(StandardCharsets.UTF_8);
        assertThat(WebhookSignature.header("whsec-test", body))
                .isEqualTo("v1=e20317224c9b9aa4a13cb03375c1fa6ce24794f9de099e83b5f0d1ab15beec9b");
    }

    @Test
    void differentSecretsGiveDifferentSignatures() {
        byte[] body = "{}".getBytes(StandardCharsets.UTF_8);
        assertThat(WebhookSignature.header("a", body)).isNotEqualTo(WebhookSignature.header("b", body));
    }

    @Test
    void aKeyedHmacReusedAcrossBodiesAndThreadsGivesTheOneOffHmac() throws Exception {
        byte[] key = "whsec-test".getBytes(StandardCharsets.UTF_8);
        WebhookSignature.Keyed keyed = WebhookSignature.keyed(key);
        byte[][] bodies = {"incident Ω ✓".getBytes(StandardCharsets.UTF_8), new byte[0], new byte[70_000]};
        for (int round = 0; round < 2; round++) {
            for (byte[] body : bodies) {
                assertThat(keyed.hmac(body)).isEqualTo(WebhookSignature.hmac(key, body));
            }
        }
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(4);
        try {
            java.util.List<java.util.concurrent.Future<Boolean>> results = new java.util.ArrayList<>();
            for (int i = 0; i < 64; i++) {
                byte[] body = ("body " + i).getBytes(StandardCharsets.UTF_8);
                results.add(pool.submit(() -> java.util.Arrays.equals(keyed.hmac(body), WebhookSignature.hmac(key, body))));
            }
            for (java.util.concurrent.Future<Boolean> result : results) {
                assertThat(result.get()).isTrue();
            }
        } finally {
            pool.shutdownNow();
        }
        assertThat(keyed.toString()).doesNotContain("whsec");
    }
}
