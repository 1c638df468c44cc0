package dev.pdpipeline.ingress.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.util.HexFormat;
import java.util.Objects;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/** Test helpers: sign bodies like PagerDuty does, read fixtures, write Trigger files. */
public final class Webhooks {

    private Webhooks() {
    }

    /** {@code v1=<hex HMAC-SHA256(secret, body)>}, computed independently of the code under test. */
    public static String sign(String secret, byte[] body) {
        return "v1=" + HexFormat.of().formatHex(hmac(secret, body));
    }

    public static byte[] hmac(String secret, byte[] body) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
            return mac.doFinal(body);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The bytes of {@code src/test/resources/events/<name>}. */
    public static byte[] fixture(String name) {
        try (InputStream in = Webhooks.class.getResourceAsStream("/events/" + name)) {
            Objects.requireNonNull(in, "fixture " + name + " not found");
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Writes a minimal valid Trigger with the given webhook secret (taken from variable {@code secretVar}). */
    public static Path writeTrigger(Path dir, String name, String secretVar) {
        String yaml = """
                apiVersion: aof.sh/v1
                kind: Trigger
                metadata:
                  name: %s
                spec:
                  platform:
                    type: pagerduty
                    config:
                      webhook_secret: ${%s}
                  agent: triage
                """.formatted(name, secretVar);
        try {
            return Files.writeString(dir.resolve(name + ".yaml"), yaml);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
