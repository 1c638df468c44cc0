package dev.pdpipeline.common.trigger;

import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Path;
import java.util.Map;

/** Test fixtures under src/test/resources/triggers and the environment they expect. */
final class TriggerFixtures {

    static final String SECRET = "whsec-test-0123456789abcdef";
    static final String OTHER_SECRET = "whsec-other-fedcba9876543210";
    static final String API_TOKEN = "u+token-test-ABCDEFGHIJ";

    static final Map<String, String> ENV = Map.of(
            "TEST_WEBHOOK_SECRET", SECRET,
            "OTHER_WEBHOOK_SECRET", OTHER_SECRET,
            "TEST_API_TOKEN", API_TOKEN,
            "REGION", "eu-west-1");

    private TriggerFixtures() {
    }

    static Path fixture(String name) {
        URL url = TriggerFixtures.class.getResource("/triggers/" + name);
        if (url == null) {
            throw new IllegalStateException("missing test fixture triggers/" + name);
        }
        try {
            return Path.of(url.toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }
}
