package dev.pdpipeline.processor.notes;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.pdpipeline.common.kafka.PipelineHeaders;
import dev.pdpipeline.common.trigger.TriggerSet;
import dev.pdpipeline.processor.contract.ContractSchemas;
import dev.pdpipeline.processor.fakepd.FakePagerDuty;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;

/**
 * Through a real notes writer and broker: every result {@code schemas/result.schema.json} rejects
 * lands on the results dead-letter topic with the expected {@code pdpipeline-dlq-reason}, and
 * every result it accepts is applied (here: a dry run), never dead-lettered.
 */
class ResultSchemaDeadLetterIT {

    @Test
    void resultsTheSchemaRejectsAreDeadLetteredWithTheMatchingReasonAndTheOthersAreApplied() {
        // the multi-megabyte cases exceed the producer's default request size; the unit test covers them
        List<ResultSchemaCases.Case> cases = ResultSchemaCases.all().stream()
                .filter(c -> c.json().length() < 100_000).toList();
        List<ResultSchemaCases.Case> invalid = cases.stream().filter(c -> !c.valid()).toList();
        for (ResultSchemaCases.Case c : cases) {
            boolean schemaValid = ContractSchemas.errors(ContractSchemas.RESULT,
                    c.json().getBytes(StandardCharsets.UTF_8)).isEmpty();
            assertThat(schemaValid).as("schema verdict on %s", c.name()).isEqualTo(c.valid());
        }
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        try (NotesItSupport it = new NotesItSupport(); FakePagerDuty fake = FakePagerDuty.start("unused-token")) {
            // the requests the valid cases answer; no token anywhere, so valid results are dry runs
            it.request("0123456789abcdef0123456789abcdef", "t", "diag", "Q1ABC", true);
            it.request("r", "t", "a", "Q1", true);
            it.request("r".repeat(200), "t", "a", "Q1", true);
            it.request("r", "t", "a", "A".repeat(64), true);
            for (ResultSchemaCases.Case c : cases) {
                it.rawResult("Q1", c.json());
            }
            try (NotesWriter writer = it.start(NotesItSupport.env(fake), TriggerSet.empty(), registry)) {
                List<ConsumerRecord<byte[], byte[]>> dlq = it.kafka.readAll(it.topics.resultsDeadLetter(),
                        invalid.size(), Duration.ofSeconds(60));
                await().atMost(Duration.ofSeconds(60)).until(() -> writer.backlog() == 0);
                dlq = it.kafka.readAll(it.topics.resultsDeadLetter(), invalid.size(), Duration.ofSeconds(30));

                Map<String, String> reasonByValue = new HashMap<>();
                for (ConsumerRecord<byte[], byte[]> r : dlq) {
                    reasonByValue.put(new String(r.value(), StandardCharsets.UTF_8),
                            new String(r.headers().lastHeader(PipelineHeaders.DLQ_REASON).value(), StandardCharsets.UTF_8));
                }
                assertThat(dlq).as("one dead letter per invalid result, none for the valid ones").hasSize(invalid.size());
                Map<String, String> expected = invalid.stream().collect(Collectors.toMap(ResultSchemaCases.Case::json,
                        c -> c.reason().code(), (a, b) -> a));
                assertThat(reasonByValue).isEqualTo(expected);
                assertThat(fake.requests()).as("a dry run calls nobody").isEmpty();
            }
        }
    }
}
