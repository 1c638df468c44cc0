package dev.pdpipeline.common.trigger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;
import static org.assertj.core.api.Assertions.tuple;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Every file of AOF's own Trigger examples ({@code ../shared/seed/aof-repo-examples/}, read in place,
 * never copied): the three PagerDuty Triggers, in both of AOF's schemas, load; every other document
 * is reported as skipped, with why. Where the folder is absent the test is skipped with a message,
 * except in CI (environment variable {@code CI} set), where that is a failure.
 */
class AofRepoExamplesTest {

    private static final Map<String, String> ENV = Map.of(
            "PAGERDUTY_WEBHOOK_SECRET", "seed-webhook-secret",
            "PAGERDUTY_WEBHOOK_TOKEN", "seed-webhook-token",
            "PAGERDUTY_API_TOKEN", "seed-api-token");

    private Path examples;

    @BeforeEach
    void findExamples() {
        String shared = System.getProperty("pdpipeline.shared.dir");
        examples = shared == null ? null : Path.of(shared, "seed", "aof-repo-examples");
        boolean present = examples != null && Files.isDirectory(examples);
        String message = "../shared/seed/aof-repo-examples not present (pdpipeline.shared.dir=" + shared
                + "): AOF's own Trigger examples cannot be checked";
        if (!present && System.getenv("CI") != null) {
            fail(message + " (CI is set: this check must run in CI)");
        }
        assumeTrue(present, message);
    }

    @Test
    void loadsTheThreePagerDutyTriggersOfBothSchemas() {
        TriggerSet set = new TriggerLoader(ENV).load(examples);

        assertThat(set.triggers()).extracting(Trigger::name, Trigger::apiVersion).containsExactly(
                tuple("pagerduty-production-incidents", "aof.sh/v1"),
                tuple("pagerduty-critical-incidents", "aof.sh/v1"),
                tuple("pagerduty-incidents", "aof.dev/v1"));
        Trigger dev = set.byName("pagerduty-incidents").orElseThrow();
        assertThat(dev.webhookSecret()).isEqualTo("seed-webhook-token");
        assertThat(dev.allowedServices()).containsExactly("PXXXXXX", "PYYYYYY");
        assertThat(dev.targetFor("incident.triggered")).contains(new Target(Target.Kind.FLOW, "incident-flow"));
        assertThat(dev.targetFor("incident.acknowledged")).contains(Target.agent("devops"));
        assertThat(dev.targetFor("incident.resolved")).contains(Target.agent("devops"));
        assertThat(dev.notUsed()).singleElement().asString().startsWith("spec.config.path: not used");
    }

    @Test
    void reportsEveryOtherDocumentAsSkippedWithItsReason() throws IOException {
        TriggerSet set = new TriggerLoader(ENV).load(examples);

        int documents = countDocuments(examples);
        assertThat(set.skipped()).as("every document that is not one of the three triggers")
                .hasSize(documents - set.triggers().size());
        assertThat(set.skipped()).allSatisfy(s -> {
            assertThat(s.file()).isNotNull();
            assertThat(s.reason()).isNotBlank();
            assertThat(s.describe()).contains(s.file().getFileName().toString(), "skipped: ");
        });
        assertThat(set.skipped()).extracting(s -> s.file().getFileName().toString(), SkippedDocument::name,
                SkippedDocument::reason).contains(
                tuple("slack-prod.yaml", "slack-prod", "platform slack, not a PagerDuty Trigger"),
                tuple("opsgenie-alert.yaml", "opsgenie-production-alerts", "platform opsgenie, not a PagerDuty Trigger"),
                tuple("pagerduty-incident.yaml", "incident-responder", "kind Agent, not a Trigger"),
                tuple("bitbucket-pr-review.yaml", "pr-review-fleet", "kind Fleet, not a Trigger"));
        // the documents of a file are reported in file order, each once
        assertThat(set.skipped()).extracting(s -> s.file().getFileName() + "#" + s.index()).doesNotHaveDuplicates();
    }

    private static int countDocuments(Path dir) throws IOException {
        YAMLMapper yaml = new YAMLMapper();
        int count = 0;
        List<Path> files = new ArrayList<>();
        try (Stream<Path> list = Files.list(dir)) {
            list.filter(p -> p.toString().endsWith(".yaml") || p.toString().endsWith(".yml")).forEach(files::add);
        }
        for (Path f : files) {
            try (MappingIterator<JsonNode> it = yaml.readerFor(JsonNode.class).readValues(f.toFile())) {
                while (it.hasNextValue()) {
                    JsonNode doc = it.nextValue();
                    if (doc != null && !doc.isNull() && !doc.isMissingNode()) {
                        count++;
                    }
                }
            }
        }
        return count;
    }
}
