package dev.pdpipeline.processor.pagerduty;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.pdpipeline.processor.fakepd.FakePagerDuty;
import dev.pdpipeline.processor.fakepd.OpenApiConformance;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Holds the requests our client sends to PagerDuty's published OpenAPI document
 * (../shared/pagerduty/rest-api.openapiv3.json): path template, required header parameters,
 * security header, request body required properties and enums.
 */
class PagerDutyConformanceTest {

    private static final String TOKEN = "conformance-token";
    private static OpenApiConformance openApi;

    @BeforeAll
    static void loadDocument() throws Exception {
        Optional<OpenApiConformance> loaded = OpenApiConformance.load();
        assumeTrue(loaded.isPresent(), "../shared not present (system property pdpipeline.shared.dir): PagerDuty's"
                + " OpenAPI document is needed for the conformance check");
        openApi = loaded.get();
    }

    @Test
    void requestsOfAllThreeOperationsSatisfyTheOfficialDocument() throws Exception {
        List<FakePagerDuty.Request> recorded;
        try (FakePagerDuty fake = FakePagerDuty.start(TOKEN).incidents("PINC001")) {
            PagerDutyClient client = new PagerDutyClient(fake.url(), Duration.ofSeconds(5), new SimpleMeterRegistry());
            client.createNote(TOKEN, "bot@example.com", "PINC001", "Root cause found");
            client.updateStatus(TOKEN, "bot@example.com", "PINC001", "acknowledged");
            client.updateStatus(TOKEN, "bot@example.com", "PINC001", "resolved");
            client.listNotes(TOKEN, "PINC001");
            recorded = fake.requests();
        }

        assertThat(recorded).hasSize(4).allMatch(FakePagerDuty.Request::accepted);
        for (FakePagerDuty.Request request : recorded) {
            assertThat(openApi.check(request)).as("%s %s", request.method(), request.path()).isEmpty();
        }
    }
}
