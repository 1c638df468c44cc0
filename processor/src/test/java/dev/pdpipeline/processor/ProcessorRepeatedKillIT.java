package dev.pdpipeline.processor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.pdpipeline.common.json.Json;
import dev.pdpipeline.processor.fakepd.FakePagerDuty;
import dev.pdpipeline.processor.fixtures.TestEvents;
import dev.pdpipeline.processor.notes.NotesConfig;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Random;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The processor JVM killed with SIGKILL again and again while it routes a stream and writes
 * agents' answers back to (a fake) PagerDuty: every request must still be routed exactly once
 * (read_committed) and every answer written as exactly one note. One kill proves recovery once;
 * repeated kills at random points also cover a kill during the recovery of the previous one
 * (an aborted transaction not yet cleaned up, a notes ledger entry left 'attempting').
 */
@Tag("slow")
class ProcessorRepeatedKillIT {

    private static final Logger LOG = LoggerFactory.getLogger(ProcessorRepeatedKillIT.class);
    private static final String TOKEN = "repeated-kill-token-SECRET";
    private static final String AGENT = "kill-agent";
    /** Distinct events; every 10th is delivered again later (a PagerDuty redelivery). */
    private static final int EVENTS = 3_000;
    private static final int INCIDENTS = 200;
    private static final int KILLS = 5;
    /** The stream is fed in chunks, one before each (re)start, so each run has work in flight. */
    private static final int CHUNKS = KILLS + 1;
    /** Every 3rd routed request gets an answer (a note) from the test's agent. */
    private static final int ANSWER_EVERY = 3;
    private static final Pattern MARKER = Pattern.compile("\\[pdpipeline:[0-9a-f]{16}(:\\d+/\\d+)?]");

    @TempDir
    Path dir;

    private Process child;

    @AfterEach
    void stopChild() {
        if (child != null && child.isAlive()) {
            child.destroyForcibly();
        }
    }

    @Test
    void routesEveryEventAndWritesEveryNoteExactlyOnceAcrossRepeatedKills() throws Exception {
        long seed = Long.getLong("pdpipeline.kill.seed", System.nanoTime());
        LOG.info("ProcessorRepeatedKillIT seed {} (rerun with -Dpdpipeline.kill.seed={})", seed, seed);
        Random random = new Random(seed);

        ProcessorFixture fx = new ProcessorFixture(dir, 3);
        fx.writeTrigger("kill.yaml", "kill-test", AGENT, "incident.triggered");
        String agentTopic = fx.agentTopic(AGENT);
        String results = fx.kafka.uniqueTopic("results");
        String resultsDlq = fx.kafka.uniqueTopic("results-dlq");
        String[] incidents = new String[INCIDENTS];
        for (int i = 0; i < INCIDENTS; i++) {
            incidents[i] = "K-INC-" + i;
        }
        try (FakePagerDuty fake = FakePagerDuty.start(TOKEN).incidents(incidents);
                KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(fx.kafka.producerProps())) {
            Map<String, String> env = fx.env(dir.resolve("state"));
            env.put("RESULTS_TOPIC", results);
            env.put("RESULTS_DLQ_TOPIC", resultsDlq);
            env.put("REQUEST_LOG_TOPIC", fx.kafka.uniqueTopic("requests"));
            env.put("RESULTS_LEDGER_TOPIC", fx.kafka.uniqueTopic("ledger"));
            env.put(NotesConfig.PAGERDUTY_API_URL, fake.url().toString());
            env.put(NotesConfig.PAGERDUTY_API_TOKEN, TOKEN);
            env.put(NotesConfig.PAGERDUTY_FROM_EMAIL, "kill-test@example.com");
            env.put(NotesConfig.PAGERDUTY_REQUEST_TIMEOUT_MS, "2000");
            env.put(NotesConfig.PAGERDUTY_RETRY_INITIAL_BACKOFF_MS, "100");
            env.put(NotesConfig.PAGERDUTY_RETRY_MAX_BACKOFF_MS, "1000");
            env.put(NotesConfig.PAGERDUTY_RATE_LIMIT_PER_MINUTE, "60000");

            Feed feed = new Feed(fx, producer);
            long t0 = System.nanoTime();
            try (Agent agent = new Agent(fx, agentTopic, results, producer)) {
                List<String> kills = new ArrayList<>();
                for (int run = 0; run <= KILLS; run++) {
                    feed.chunk(run);
                    long routedAtStart = agent.routed();
                    int notesAtStart = noteCount(fake);
                    child = startJvm(env, logs().resolve("repeated-kill-" + (run + 1) + ".log"));
                    if (run == KILLS) {
                        break; // the last run finishes the stream
                    }
                    // kill while work is in flight: routing has moved on since this start (by a
                    // random amount) and the notes writer has written since this start
                    long target = routedAtStart + 1 + random.nextInt(EVENTS / CHUNKS / 2);
                    await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(10))
                            .until(() -> agent.routed() >= target && noteCount(fake) > notesAtStart);
                    child.destroyForcibly().waitFor();
                    String at = "kill " + (run + 1) + ": routed " + agent.routed() + "/" + feed.sentDistinct()
                            + ", notes " + noteCount(fake) + "/" + agent.answered();
                    kills.add(at);
                    LOG.info("SIGKILL {}", at);
                }
                await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(250))
                        .until(() -> fx.consumedEverything() && agent.routed() == EVENTS
                                && noteCount(fake) >= agent.answered());

                // the routed requests: each request id exactly once under read_committed
                List<ConsumerRecord<byte[], byte[]>> routed = fx.readToEnd(agentTopic, "read_committed");
                Map<String, Long> perRequest = routed.stream()
                        .collect(Collectors.groupingBy(r -> field(r.value(), "request_id"), Collectors.counting()));
                assertThat(perRequest).hasSize(EVENTS);
                assertThat(perRequest.values()).allMatch(n -> n == 1L);
                assertThat(ProcessorFixture.countByEventId(routed)).hasSize(EVENTS);
                assertThat(fx.readToEnd(fx.deadLetter, "read_committed")).as("raw DLQ").isEmpty();
                assertThat(agent.duplicatesSeen()).as("requests a read_committed agent saw twice").isZero();

                // the notes: every answer exactly once, no marker twice
                child.destroy(); // SIGTERM: the writer drains and stops cleanly
                child.waitFor();
                Map<String, Long> perAnswer = new HashMap<>();
                Set<String> markers = new HashSet<>();
                List<String> duplicateMarkers = new ArrayList<>();
                fake.allNotes().values().forEach(notes -> notes.forEach(n -> {
                    perAnswer.merge(n.content().split("\n")[0], 1L, Long::sum);
                    Matcher m = MARKER.matcher(n.content());
                    assertThat(m.find()).as("marker in %s", n.content()).isTrue();
                    if (!markers.add(m.group())) {
                        duplicateMarkers.add(m.group());
                    }
                }));
                assertThat(duplicateMarkers).as("notes written twice").isEmpty();
                assertThat(perAnswer.keySet()).containsExactlyInAnyOrderElementsOf(agent.expectedNotes());
                assertThat(perAnswer.values()).allMatch(n -> n == 1L);
                assertThat(fx.readToEnd(resultsDlq, "read_committed")).as("results DLQ").isEmpty();
                long gets = fake.requests().stream().filter(r -> r.method().equals("GET")).count();
                LOG.info("Repeated kills (seed {}): {} kills [{}]; {} raw records ({} distinct events) -> {} requests "
                                + "exactly once; {} answers -> {} notes exactly once ({} marker checks); {} ms",
                        seed, kills.size(), String.join("; ", kills), feed.sentRecords(), EVENTS, routed.size(),
                        agent.answered(), perAnswer.size(), gets, (System.nanoTime() - t0) / 1_000_000);
                assertThat(kills).hasSize(KILLS);
            }
        }
    }

    private static int noteCount(FakePagerDuty fake) {
        return fake.allNotes().values().stream().mapToInt(List::size).sum();
    }

    private static String field(byte[] json, String name) {
        try {
            JsonNode node = Json.mapper().readTree(json);
            return node.get(name).asText();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The raw stream, chunk by chunk; every 10th event comes again in the next chunk. */
    private static final class Feed {
        private final ProcessorFixture fx;
        private final KafkaProducer<byte[], byte[]> producer;
        private final List<ProducerRecord<byte[], byte[]>> redeliveries = new ArrayList<>();
        private int sentRecords;
        private int sentDistinct;

        Feed(ProcessorFixture fx, KafkaProducer<byte[], byte[]> producer) {
            this.fx = fx;
            this.producer = producer;
        }

        void chunk(int index) {
            int per = EVENTS / CHUNKS;
            int from = index * per;
            int to = index == CHUNKS - 1 ? EVENTS : from + per;
            List<ProducerRecord<byte[], byte[]>> records = new ArrayList<>(redeliveries);
            redeliveries.clear();
            for (int i = from; i < to; i++) {
                String eventId = "K-EV-" + i;
                String incidentId = "K-INC-" + (i % INCIDENTS);
                ProducerRecord<byte[], byte[]> r = new ProducerRecord<>(fx.raw, null,
                        incidentId.getBytes(StandardCharsets.UTF_8), TestEvents.incident(eventId, incidentId).bytes(),
                        TestEvents.ingressHeaders("WH-" + eventId, ProcessorFixture.SECRET));
                records.add(r);
                if (i % 10 == 0) {
                    redeliveries.add(new ProducerRecord<>(fx.raw, null, r.key(), r.value(),
                            TestEvents.ingressHeaders("WH-" + eventId, ProcessorFixture.SECRET)));
                }
            }
            if (index == CHUNKS - 1) {
                records.addAll(redeliveries);
                redeliveries.clear();
            }
            records.forEach(producer::send);
            producer.flush();
            sentRecords += records.size();
            sentDistinct = to;
        }

        int sentRecords() {
            return sentRecords;
        }

        int sentDistinct() {
            return sentDistinct;
        }
    }

    /**
     * What an agent does: reads its topic read_committed and answers every {@value #ANSWER_EVERY}rd
     * request once with a note on the results topic.
     */
    private static final class Agent implements AutoCloseable {
        private final Map<String, Integer> seen = new ConcurrentHashMap<>();
        private final Set<String> expectedNotes = ConcurrentHashMap.newKeySet();
        private final AtomicBoolean running = new AtomicBoolean(true);
        private final Thread thread;
        private volatile Throwable failure;

        Agent(ProcessorFixture fx, String agentTopic, String results, KafkaProducer<byte[], byte[]> producer) {
            Properties props = fx.kafka.consumerProps("kill-agent-" + UUID.randomUUID());
            props.setProperty(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
            props.setProperty(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
            props.setProperty(ConsumerConfig.METADATA_MAX_AGE_CONFIG, "500");
            thread = new Thread(() -> {
                try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(props)) {
                    consumer.subscribe(List.of(agentTopic));
                    while (running.get()) {
                        for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(50))) {
                            answer(r, results, producer);
                        }
                    }
                } catch (RuntimeException | Error e) {
                    failure = e;
                    LOG.error("The test agent failed", e);
                }
            }, "kill-test-agent");
            thread.start();
        }

        private void answer(ConsumerRecord<byte[], byte[]> r, String results, KafkaProducer<byte[], byte[]> producer) {
            String requestId = field(r.value(), "request_id");
            if (seen.merge(requestId, 1, Integer::sum) > 1) {
                return;
            }
            String eventId = eventId(r.value());
            int index = Integer.parseInt(eventId.substring(eventId.lastIndexOf('-') + 1));
            if (index % ANSWER_EVERY != 0) {
                return;
            }
            String incident = new String(r.key(), StandardCharsets.UTF_8);
            String text = "answer for " + requestId;
            Map<String, Object> result = new HashMap<>();
            result.put("request_id", requestId);
            result.put("incident_id", incident);
            result.put("agent", AGENT);
            result.put("note", text + "\nchecked by the kill test");
            try {
                producer.send(new ProducerRecord<>(results, r.key(), Json.mapper().writeValueAsBytes(result)));
            } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
                throw new IllegalStateException(e);
            }
            expectedNotes.add(text);
        }

        private static String eventId(byte[] value) {
            try {
                return Json.mapper().readTree(value).get("metadata").get("event_id").asText();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        long routed() {
            assertThat(failure).as("test agent failure").isNull();
            return seen.size();
        }

        long duplicatesSeen() {
            return seen.values().stream().filter(n -> n > 1).count();
        }

        int answered() {
            return expectedNotes.size();
        }

        Set<String> expectedNotes() {
            return Set.copyOf(expectedNotes);
        }

        @Override
        public void close() throws InterruptedException {
            running.set(false);
            thread.join(10_000);
        }
    }

    /** Where child JVM logs stay after the test, for diagnosis. */
    private static Path logs() {
        return Path.of("target", "it-logs");
    }

    /** {@link ProcessorMain} in a JVM of its own, so it can be killed for real. */
    private static Process startJvm(Map<String, String> env, Path log) throws IOException {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        ProcessBuilder pb = new ProcessBuilder(java, "-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
                "-cp", System.getProperty("java.class.path"), ProcessorMain.class.getName());
        pb.environment().keySet().removeIf(k -> k.startsWith("KAFKA_") || k.startsWith("PAGERDUTY_"));
        pb.environment().putAll(env);
        pb.redirectErrorStream(true);
        pb.redirectOutput(log.toFile());
        Files.createDirectories(log.getParent());
        LOG.info("Starting a processor JVM, log in {}", log);
        return pb.start();
    }
}
