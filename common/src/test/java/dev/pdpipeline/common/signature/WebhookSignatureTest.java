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
}
