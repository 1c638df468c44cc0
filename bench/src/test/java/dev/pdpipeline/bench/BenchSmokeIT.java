package dev.pdpipeline.bench;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.pdpipeline.common.json.Json;
import dev.pdpipeline.common.kafka.EmbeddedKafka;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Keeps every benchmark compiling and working: each scenario runs with tiny counts against one
 * shared in-process broker (the processor scenario against a broker in a JVM of its own, the
 * default), and its JSON result must be there and make sense. Not a measurement. The ingress
 * scenario needs {@code wrk} (Debian package; .ci/run installs it) and fails without it.
 */
class BenchSmokeIT {

    private static EmbeddedKafka kafka;

    @TempDir
    Path out;

    @BeforeAll
    static void startBroker() {
        kafka = EmbeddedKafka.builder().port(0).start();
    }

    @AfterAll
    static void stopBroker() {
        if (kafka != null) {
            kafka.close();
        }
    }

    @Test
    void ingressScenarioMeasuresEverySubjectWithWrkAndTheRatioToTheLimit() throws IOException {
        JsonNode result = run("ingress", "--connections", "4", "--duration-seconds", "2", "--warmup-seconds", "1",
                "--rates", "40", "--seconds", "1", "--deliveries", "50", "--subject-heap", "256m",
                "--ingress-log-level", "WARN");

        List<String> maxSubjects = new ArrayList<>();
        for (JsonNode row : result.path("rows")) {
            if (row.path("phase").asText().equals("max")) {
                maxSubjects.add(row.path("subject").asText());
                assertThat(row.path("connections").asInt()).isEqualTo(4);
                assertThat(row.path("ok").asLong()).as("answered within the run: %s", row).isPositive();
                assertThat(row.path("non2xx").asLong()).as("every delivery is signed: %s", row).isZero();
                assertThat(row.path("latency").path("p99Ms").asDouble()).isPositive();
                assertThat(row.path("subjectRssKb").asLong()).as("its own JVM: %s", row).isGreaterThan(10_000);
            }
            if (row.path("phase").asText().equals("fixed")) {
                assertThat(row.path("ok").asLong() + row.path("failed").asLong() + row.path("unfinished").asLong())
                        .as("every request is accounted for: %s", row).isEqualTo(row.path("sent").asLong());
                assertThat(row.path("ok").asLong()).as("answers at 40/s: %s", row).isPositive();
                assertThat(row.path("latency").path("p99Ms").asDouble()).isPositive();
            }
        }
        assertThat(maxSubjects).containsExactly("noop-server", "noop-core", "ingress", "producer-only");
        assertThat(result.path("maxThroughput").path("ingress").path("4").asDouble()).isPositive();
        JsonNode ratio = result.path("ratios").path("ingressVsLimit");
        assertThat(ratio.path("value").asDouble()).isPositive();
        assertThat(ratio.path("target").asDouble()).isEqualTo(0.9);
        assertThat(ratio.path("met").isBoolean()).isTrue();
        assertThat(ratio.path("meaning").asText()).contains("no-op", "producer");
        double limit = result.path("limit").path("4").asDouble();
        assertThat(ratio.path("value").asDouble()).isCloseTo(
                result.path("maxThroughput").path("ingress").path("4").asDouble() / limit,
                org.assertj.core.data.Offset.offset(0.01));
        assertThat(result.path("ratios").has("ingressVsNoopServer")).isTrue();
        assertThat(result.path("ratios").path("ingressVsCoreLimit").path("meaning").asText()).contains("core handler");
        assertThat(result.path("ratios").has("ingressP99AtHalfMaxMs")).isTrue();
        assertThat(result.path("broker").path("mode").asText()).isEqualTo("external");
    }

    @Test
    void endToEndScenarioSeesEveryAcceptedEventOnTheAgentTopic() throws IOException {
        JsonNode result = run("e2e", "--rates", "20", "--seconds", "1", "--warmup-seconds", "0.5");

        JsonNode row = result.path("rows").get(0);
        assertThat(row.path("accepted").asLong()).isPositive();
        assertThat(row.path("visible").asLong()).isEqualTo(row.path("accepted").asLong());
        assertThat(row.path("endToEnd").path("p50Ms").asDouble()).isPositive();
        assertThat(row.path("commitIntervalMs").asLong()).isEqualTo(100);
        long byKind = 0;
        for (JsonNode count : row.path("failures")) {
            byKind += count.asLong();
        }
        assertThat(row.path("failures").isObject()).isTrue();
        assertThat(byKind).as("every failure has its kind: %s", row.path("failures")).isEqualTo(row.path("failed").asLong());
    }

    @Test
    void processorScenarioRoutesTheWholeMixWithTheBrokerInItsOwnJvm() throws IOException {
        JsonNode result = runWithOwnBroker("processor", "--events", "300", "--payload-bytes", "1024-2048",
                "--broker-heap", "384m");

        JsonNode preloaded = result.path("preloaded");
        assertThat(preloaded.path("records").asInt()).isEqualTo(300);
        assertThat(preloaded.path("duplicates").asInt()).isEqualTo(15);
        assertThat(preloaded.path("filtered").asInt()).isEqualTo(60);
        JsonNode rows = result.path("rows");
        assertThat(rows).extracting(r -> r.path("app").asText()).containsExactly("copy (limit)", "copy, tuned", "processor");
        assertThat(rows.get(0).path("outputs").asInt()).as("the copy app copies everything").isEqualTo(300);
        assertThat(rows.get(1).path("outputs").asInt()).as("so does the tuned copy app").isEqualTo(300);
        assertThat(rows.get(2).path("outputs").asInt()).as("routed = distinct events minus filtered ones")
                .isEqualTo(preloaded.path("routable").asInt()).isEqualTo(225);
        assertThat(result.path("ratios").path("processorVsTunedCopy").path("value").asDouble()).isPositive();
        JsonNode ratio = result.path("ratios").path("processorVsCopy");
        assertThat(ratio.path("value").asDouble()).isPositive();
        assertThat(ratio.path("target").asDouble()).isEqualTo(0.7);
        assertThat(ratio.path("met").isBoolean()).isTrue();
        JsonNode broker = result.path("broker");
        assertThat(broker.path("mode").asText()).isEqualTo("child-jvm");
        assertThat(broker.path("heap").asText()).isEqualTo("384m");
        assertThat(broker.path("peakRssKb").asLong()).as("the broker's own JVM").isGreaterThan(10_000);
        assertThat(rows.get(1).path("brokerRssKb").asLong()).isGreaterThan(10_000);
        assertThat(ProcessHandle.of(broker.path("pid").asLong()).map(ProcessHandle::isAlive).orElse(false))
                .as("the broker's JVM is gone after the scenario").isFalse();
    }

    @Test
    void scaleOutScenarioRunsInstancesAsProcessesAndMeasuresTheirMemory() throws IOException {
        JsonNode result = run("scaleout", "--events", "200", "--instances", "2", "--payload-bytes", "1024-2048");

        JsonNode rows = result.path("rows");
        assertThat(rows).hasSize(1);
        for (JsonNode row : rows) {
            assertThat(row.path("complete").asBoolean()).as("all routed: %s", row).isTrue();
            assertThat(row.path("rssKb")).hasSize(row.path("instances").asInt());
            row.path("rssKb").forEach(rss -> assertThat(rss.asLong()).isGreaterThan(10_000));
        }
        assertThat(result.path("dedupStoreBytesAfterRun").asLong()).isPositive();
    }

    @Test
    void notesScenarioWritesEveryResultAndHoldsTheRateLimit() throws IOException {
        JsonNode result = run("notes", "--results", "40", "--limited-seconds", "3", "--limit-per-minute", "600",
                "--incidents", "10", "--warmup-seconds", "1");

        JsonNode rows = result.path("rows");
        assertThat(rows).hasSize(2);
        assertThat(rows.get(0).path("written").asInt()).isEqualTo(40);
        assertThat(rows.get(1).path("written").asInt()).isEqualTo(30);
        assertThat(rows.get(1).path("rateLimited429AfterWarmup").asInt()).isZero();
        assertThat(rows.get(0).path("resultsPerSecond").asDouble()).isPositive();
    }

    @Test
    void endToEndScenarioJudgesTheTargetsAt3000PerSecondWithIngressAndProcessorInTheirOwnJvms() throws IOException {
        JsonNode result = run("e2e", "--rates", "3000", "--seconds", "0.2", "--warmup-seconds", "0",
                "--payload-bytes", "1024-2048");

        JsonNode row = result.path("rows").get(0);
        assertThat(row.path("targetRate").asDouble()).isEqualTo(3000);
        assertThat(row.path("accepted").asLong()).isPositive();
        assertThat(row.path("visible").asLong()).isEqualTo(row.path("accepted").asLong());
        assertThat(row.path("achievedRate").asDouble()).isPositive();
        assertThat(row.path("endToEnd").path("p99Ms").asDouble()).isPositive();
        assertThat(row.path("ingressAnswer").path("p99Ms").asDouble()).isPositive();
        // read from /proc/<pid>/status of each child: they are processes of their own
        assertThat(row.path("ingressRssMb").asLong()).as("ingress JVM RSS").isGreaterThan(10);
        assertThat(row.path("processorRssMb").asLong()).as("processor JVM RSS").isGreaterThan(10);
        JsonNode e2e = result.path("ratios").path("e2eP99At3000PerSecondMs");
        assertThat(e2e.path("max").asDouble()).isEqualTo(250);
        assertThat(e2e.path("value").asDouble()).isEqualTo(row.path("endToEnd").path("p99Ms").asDouble());
        assertThat(e2e.path("met").isBoolean()).isTrue();
        assertThat(e2e.path("meaning").asText()).contains("read_committed");
        JsonNode ingress = result.path("ratios").path("ingressAnswerP99At3000PerSecondMs");
        assertThat(ingress.path("max").asDouble()).isEqualTo(20);
        assertThat(ingress.path("met").isBoolean()).isTrue();
        if (row.path("achievedRate").asDouble() < 0.95 * 3000) {
            assertThat(e2e.path("met").asBoolean()).as("not met below 95%% of the rate").isFalse();
        }
    }

    @Test
    void memoryScenarioRestartsTheProcessorOnAGrowingHistoryAndMeasuresItsResidentMemory() throws IOException {
        JsonNode result = run("memory", "--requests", "2000,4000", "--live", "40", "--live-incidents", "5",
                "--settle-seconds", "0", "--heap", "256m");

        JsonNode rows = result.path("rows");
        assertThat(rows).hasSize(3);
        assertThat(rows.get(0).path("requestsInHistory").asLong()).isZero();
        assertThat(rows.get(1).path("requestsInHistory").asLong()).isEqualTo(2000);
        assertThat(rows.get(2).path("requestsInHistory").asLong()).isEqualTo(4000);
        assertThat(rows.get(2).path("resultsInHistory").asLong()).isEqualTo(4000);
        for (JsonNode row : rows) {
            assertThat(row.path("ready").asBoolean()).as("ready: %s", row).isTrue();
            assertThat(row.path("liveRouted").asLong()).as("routed live: %s", row).isEqualTo(40);
            assertThat(row.path("liveNotes").asLong()).as("notes written live: %s", row).isEqualTo(40);
            assertThat(row.path("peakRssMb").asLong()).isGreaterThanOrEqualTo(row.path("rssAfterLiveMb").asLong())
                    .isGreaterThan(10);
            assertThat(row.path("restartToReadySeconds").asDouble()).isPositive();
            assertThat(row.path("heapCommittedAfterLiveMb").asLong()).as("from the processor's /metrics: %s", row)
                    .isPositive().isLessThanOrEqualTo(256);
            assertThat(row.path("rssBeyondHeapAfterLiveMb").asLong()).isCloseTo(
                    row.path("rssAfterLiveMb").asLong() - row.path("heapCommittedAfterLiveMb").asLong(),
                    org.assertj.core.data.Offset.offset(1L));
        }
        JsonNode ratios = result.path("ratios");
        assertThat(ratios.path("processorRssMb").path("max").asDouble()).isEqualTo(768);
        assertThat(ratios.path("processorRssMb").path("value").asDouble())
                .isEqualTo(rows.get(1).path("peakRssMb").asDouble());
        assertThat(ratios.path("rssGrowth1Mto2M").path("max").asDouble()).isEqualTo(1.1);
        assertThat(ratios.path("rssGrowth1Mto2M").path("value").asDouble()).isPositive();
        assertThat(ratios.path("rssBeyondHeapGrowth1Mto2M").path("value").asDouble()).isPositive();
        assertThat(ratios.path("restartToReadySeconds").path("max").asDouble()).isEqualTo(30);
        assertThat(ratios.path("restartToReadySeconds").path("value").asDouble())
                .isEqualTo(rows.get(1).path("restartToReadySeconds").asDouble());
    }

    private JsonNode run(String scenario, String... args) throws IOException {
        List<String> all = new ArrayList<>(List.of("--bootstrap", kafka.bootstrapServers()));
        all.addAll(List.of(args));
        return runWithOwnBroker(scenario, all.toArray(String[]::new));
    }

    /** Without --bootstrap: the scenario starts its broker the default way (a JVM of its own). */
    private JsonNode runWithOwnBroker(String scenario, String... args) throws IOException {
        List<String> command = new ArrayList<>(List.of(scenario, "--out", out.toString()));
        command.addAll(List.of(args));
        assertThat(Bench.execute(command.toArray(String[]::new))).as("exit code of %s", command).isZero();
        Path file;
        try (Stream<Path> files = Files.list(out)) {
            file = files.filter(p -> p.getFileName().toString().startsWith(scenario + "-")
                    && p.toString().endsWith(".json")).findFirst().orElseThrow(
                            () -> new AssertionError("no " + scenario + "-*.json in " + out));
        }
        JsonNode json = Json.mapper().readTree(Files.readAllBytes(file));
        assertThat(json.path("scenario").asText()).isEqualTo(scenario);
        assertThat(json.path("machine").path("cores").asInt()).isPositive();
        assertThat(json.path("loadAverage").path("start")).isNotEmpty();
        assertThat(json.path("rows")).isNotEmpty();
        return json;
    }
}
