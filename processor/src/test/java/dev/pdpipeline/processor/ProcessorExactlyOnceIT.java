package dev.pdpipeline.processor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.pdpipeline.processor.fixtures.TestEvents;
import dev.pdpipeline.processor.reload.ActiveTriggers;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Exactly-once routing against a real broker: a processor killed with SIGKILL mid-stream, two
 * instances sharing the work while one stops, and hot reload of the trigger files.
 */
class ProcessorExactlyOnceIT {

    private static final Logger LOG = LoggerFactory.getLogger(ProcessorExactlyOnceIT.class);

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
    void routesEveryEventExactlyOnceAcrossAKillAndRestart() throws Exception {
        ProcessorFixture fx = new ProcessorFixture(dir, 3);
        fx.writeTrigger("crash.yaml", "crash-test", "crash-agent", "incident.triggered");
        int events = 10_000;
        int written = fx.produceWithDuplicates("A", events, 700);
        String agentTopic = fx.agentTopic("crash-agent");
        Path state = dir.resolve("state");
        Map<String, String> env = fx.env(state);

        long t0 = System.nanoTime();
        child = startJvm(env, logs().resolve("processor-1.log"));
        // well into the stream (committed requests, dedup entries, surely an open transaction): pull the plug
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(20))
                .until(() -> topicExists(fx, agentTopic) && fx.readToEnd(agentTopic, "read_committed").size() >= 1_000);
        child.destroyForcibly().waitFor();
        int committedAtKill = fx.readToEnd(agentTopic, "read_committed").size();
        LOG.info("Killed the processor with {} of {} requests committed ({} raw records) after {} ms",
                committedAtKill, events, written, (System.nanoTime() - t0) / 1_000_000);
        assertThat(committedAtKill).as("killed mid-stream").isLessThan(events);

        child = startJvm(env, logs().resolve("processor-2.log"));
        await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(250)).until(fx::consumedEverything);

        List<ConsumerRecord<byte[], byte[]>> routed = fx.readToEnd(agentTopic, "read_committed");
        Map<String, Long> perEvent = ProcessorFixture.countByEventId(routed);
        assertThat(perEvent).hasSize(events);
        assertThat(perEvent.values()).allMatch(n -> n == 1L);
        assertThat(routed).hasSize(events);
        assertThat(fx.readToEnd(fx.deadLetter, "read_committed")).isEmpty();
        LOG.info("Kill/restart: {} raw records -> {} requests, exactly once, in {} ms", written, routed.size(),
                (System.nanoTime() - t0) / 1_000_000);

        child.destroy(); // SIGTERM: the shutdown hook closes Streams cleanly
        child.waitFor();
        assertThat(Files.readString(logs().resolve("processor-2.log"))).contains("Processor stopped");
    }

    @Test
    void routesEveryEventExactlyOnceWhenOneOfTwoInstancesStops() {
        ProcessorFixture fx = new ProcessorFixture(dir, 4);
        fx.writeTrigger("pair.yaml", "pair-test", "pair-agent", "incident.triggered");
        int events = 3_000;
        fx.produceWithDuplicates("B", events, 300);
        String agentTopic = fx.agentTopic("pair-agent");

        long t0 = System.nanoTime();
        ProcessorService first = ProcessorService.start(
                ProcessorConfig.fromEnv(fx.env(dir.resolve("state-1"))), new SimpleMeterRegistry());
        try (ProcessorService second = ProcessorService.start(
                ProcessorConfig.fromEnv(fx.env(dir.resolve("state-2"))), new SimpleMeterRegistry())) {
            await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(50))
                    .until(() -> !fx.readToEnd(agentTopic, "read_uncommitted").isEmpty());
            first.close();
            await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(250)).until(fx::consumedEverything);
            // the first may have routed everything before it stopped; the second is ready once the group
            // has moved the first's partitions to it (a closing Streams client does not leave the group,
            // so that takes up to the session timeout), not necessarily at the moment everything is consumed
            await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(250)).until(second::isReady);
        } finally {
            first.close();
        }

        List<ConsumerRecord<byte[], byte[]>> routed = fx.readToEnd(agentTopic, "read_committed");
        Map<String, Long> perEvent = ProcessorFixture.countByEventId(routed);
        assertThat(perEvent).hasSize(events);
        assertThat(perEvent.values()).allMatch(n -> n == 1L);
        LOG.info("Two instances, one stopped: {} requests exactly once in {} ms", routed.size(),
                (System.nanoTime() - t0) / 1_000_000);
    }

    @Test
    void appliesAChangedTriggerFileWhileRunning() throws Exception {
        ProcessorFixture fx = new ProcessorFixture(dir, 2);
        fx.writeTrigger("first.yaml", "first", "agent-one", "incident.triggered");
        String first = fx.agentTopic("agent-one");
        String second = fx.agentTopic("agent-two");

        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        try (ProcessorService service = ProcessorService.start(
                ProcessorConfig.fromEnv(fx.env(dir.resolve("state"))), registry)) {
            await().atMost(Duration.ofSeconds(60)).until(service::isReady);
            produce(fx, "C-EV-1", "C-INC-1");
            await().atMost(Duration.ofSeconds(30)).until(() -> fx.readToEnd(first, "read_committed").size() == 1);
            assertThat(topicExists(fx, second)).isFalse();

            fx.writeTrigger("second.yaml", "second", "agent-two", "incident.triggered");
            await().atMost(Duration.ofSeconds(30)).until(() -> registry.get(ActiveTriggers.RELOADS).counter().count() == 1);
            assertThat(topicExists(fx, second)).as("agent topic created before the new set is used").isTrue();
            produce(fx, "C-EV-2", "C-INC-2");

            await().atMost(Duration.ofSeconds(30)).until(() -> fx.readToEnd(second, "read_committed").size() == 1);
            assertThat(fx.readToEnd(first, "read_committed")).hasSize(2);
            ConsumerRecord<byte[], byte[]> routed = fx.readToEnd(second, "read_committed").get(0);
            assertThat(new String(routed.key(), StandardCharsets.UTF_8)).isEqualTo("C-INC-2");
        }
    }

    /** Where child JVM logs stay after the test, for diagnosis. */
    private static Path logs() {
        return Path.of("target", "it-logs");
    }

    private static void produce(ProcessorFixture fx, String eventId, String incidentId) {
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(fx.kafka.producerProps())) {
            producer.send(new ProducerRecord<>(fx.raw, null, incidentId.getBytes(StandardCharsets.UTF_8),
                    TestEvents.incident(eventId, incidentId).bytes(),
                    TestEvents.ingressHeaders("WH-" + eventId, ProcessorFixture.SECRET)));
            producer.flush();
        }
    }

    private static boolean topicExists(ProcessorFixture fx, String topic) throws Exception {
        return fx.kafka.admin().listTopics().names().get().contains(topic);
    }

    /** {@link ProcessorMain} in a JVM of its own, so it can be killed for real. */
    private static Process startJvm(Map<String, String> env, Path log) throws IOException {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        ProcessBuilder pb = new ProcessBuilder(java, "-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
                "-cp", System.getProperty("java.class.path"), ProcessorMain.class.getName());
        pb.environment().keySet().removeIf(k -> k.startsWith("KAFKA_"));
        pb.environment().putAll(env);
        pb.redirectErrorStream(true);
        pb.redirectOutput(log.toFile());
        Files.createDirectories(log.getParent());
        LOG.info("Starting a processor JVM, log in {}", log);
        return pb.start();
    }

}
