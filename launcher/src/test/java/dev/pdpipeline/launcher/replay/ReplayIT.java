package dev.pdpipeline.launcher.replay;

import static dev.pdpipeline.launcher.replay.ReplayFixtures.event;
import static dev.pdpipeline.launcher.replay.ReplayFixtures.text;
import static dev.pdpipeline.launcher.replay.ReplayFixtures.trigger;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.pdpipeline.common.json.Json;
import dev.pdpipeline.common.kafka.PipelineHeaders;
import dev.pdpipeline.common.trigger.TriggerLoader;
import dev.pdpipeline.processor.ProcessorConfig;
import dev.pdpipeline.processor.envelope.AgentRequestEnvelope;
import dev.pdpipeline.processor.envelope.AgentRequestHeaders;
import dev.pdpipeline.processor.replay.KeyPartitions;
import dev.pdpipeline.processor.replay.Replayer;
import dev.pdpipeline.processor.replay.TimeRange;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** bin/pipeline replay against a real broker. */
class ReplayIT {

    private static final String TRIGGERS = trigger("live-{suffix}", "live-agent-{suffix}", "REPLAY_SECRET", true)
            + trigger("backfill-{suffix}", "new-agent-{suffix}", "REPLAY_SECRET", true,
                    "event_types: [incident.triggered]", "min_priority: P2");

    @TempDir
    Path dir;

    @Test
    void backfillOfANewTriggerSendsExactlyTheMatchingEventsMarkedAsReplayWithoutWriteBack() throws Exception {
        ReplayFixtures f = new ReplayFixtures(dir, 3, TRIGGERS);
        f.publish(ReplayFixtures.SECRET,
                event("ev-a1", "QINCA", "P1"), event("ev-a2", "QINCA", "P3"),
                event("ev-b1", "QINCB", "P2"), event("ev-b2", "QINCB", "P1"),
                event("ev-c1", "QINCC", "P4"));
        // signed by a secret no trigger has: never routed
        f.publish(ReplayFixtures.OTHER_SECRET, event("ev-x1", "QINCA", "P1"));

        ReplayFixtures.Result r = f.run("replay", "--trigger", "backfill-" + f.suffix, "--since", "1h");

        assertThat(r.exitCode()).as(r.err()).isZero();
        Matcher m = Pattern.compile("Replay (replay-[^\\s:]+)").matcher(r.out());
        assertThat(m.find()).as(r.out()).isTrue();
        String replayId = m.group(1);
        String agentTopic = "agent.new-agent-" + f.suffix + ".requests";
        List<ConsumerRecord<byte[], byte[]>> requests = f.awaitAll(agentTopic, 3);
        Map<String, ConsumerRecord<byte[], byte[]>> byEvent = requests.stream().collect(Collectors.toMap(
                rec -> json(rec).path("metadata").path("event_id").asText(), Function.identity()));
        assertThat(byEvent.keySet()).containsExactlyInAnyOrder("ev-a1", "ev-b1", "ev-b2");
        for (ConsumerRecord<byte[], byte[]> rec : requests) {
            JsonNode env = json(rec);
            assertThat(env.get("replay").asBoolean()).isTrue();
            assertThat(env.get("trigger").asText()).isEqualTo("backfill-" + f.suffix);
            // a replay is a new request: its id differs from the live one and names the replay
            assertThat(env.get("request_id").asText()).isEqualTo(AgentRequestEnvelope.replayRequestId(
                    env.path("metadata").path("event_id").asText(), "backfill-" + f.suffix, replayId));
            assertThat(env.get("request_id").asText()).isNotEqualTo(AgentRequestEnvelope.requestId(
                    env.path("metadata").path("event_id").asText(), "backfill-" + f.suffix));
            assertThat(text(rec.headers().lastHeader(PipelineHeaders.REPLAY_ID).value())).isEqualTo(replayId);
            assertThat(text(rec.headers().lastHeader(AgentRequestHeaders.REQUEST_ID).value()))
                    .isEqualTo(env.get("request_id").asText());
            assertThat(text(rec.key())).isEqualTo(env.path("metadata").path("incident_id").asText());
        }
        assertThat(f.topicExists("agent.live-agent-" + f.suffix + ".requests")).as("--trigger limits the replay")
                .isFalse();

        List<JsonNode> log = f.awaitAll(f.requestLog, 3).stream().map(ReplayIT::json).toList();
        assertThat(log).hasSize(3);
        assertThat(log).allSatisfy(entry -> {
            assertThat(entry.get("replay").asBoolean()).isTrue();
            assertThat(entry.get("write_back").asBoolean()).isFalse();
            assertThat(entry.get("agent").asText()).isEqualTo("new-agent-" + f.suffix);
        });
        assertThat(log.stream().map(e -> e.get("request_id").asText()).collect(Collectors.toSet()))
                .isEqualTo(requests.stream().map(rec -> json(rec).get("request_id").asText()).collect(Collectors.toSet()));
    }

    @Test
    void replayByIncidentReadsOnlyThePartitionThatHoldsIt() throws Exception {
        ReplayFixtures f = new ReplayFixtures(dir, 3, TRIGGERS);
        List<RecordMetadata> written = f.publish(ReplayFixtures.SECRET,
                event("e1", "QPART1", "P1"), event("e2", "QPART2", "P1"), event("e3", "QPART3", "P1"),
                event("e4", "QPART4", "P1"), event("e5", "QPART5", "P1"), event("e6", "QPART6", "P1"),
                event("e7", "QPART1", "P1"));
        int expected = KeyPartitions.partitionFor("QPART1", 3);
        assertThat(written.get(0).partition()).as("the producer's partitioner agrees").isEqualTo(expected);
        long inThatPartition = written.stream().filter(w -> w.partition() == expected).count();
        assertThat(inThatPartition).as("the test needs other partitions to hold records").isLessThan(written.size());

        Replayer.Report report = replayer(f).run(new Replayer.Options(Set.of("QPART1"), null, null, TimeRange.ALL,
                null, false, true, "replay-test-1", 1000));

        assertThat(report.partitions()).containsExactly(expected);
        assertThat(report.scanned()).isEqualTo(inThatPartition);
        assertThat(report.sent()).as("e1 and e7 through both triggers").isEqualTo(4);
    }

    @Test
    void dryRunPrintsEachRequestAndPublishesNothing() throws Exception {
        ReplayFixtures f = new ReplayFixtures(dir, 2, TRIGGERS);
        f.publish(ReplayFixtures.SECRET, event("dry-1", "QDRY", "P1"), event("dry-2", "QDRY", "P5"));

        ReplayFixtures.Result r = f.run("replay", "--incident", "QDRY", "--dry-run");

        assertThat(r.exitCode()).as(r.err()).isZero();
        assertThat(r.out().lines().filter(l -> l.startsWith("would send")).toList())
                .hasSize(3)
                .anyMatch(l -> l.contains("dry-1") && l.contains("trigger=backfill-" + f.suffix))
                .anyMatch(l -> l.contains("dry-1") && l.contains("trigger=live-" + f.suffix))
                .anyMatch(l -> l.contains("dry-2") && l.contains("trigger=live-" + f.suffix));
        assertThat(f.topicExists("agent.new-agent-" + f.suffix + ".requests")).isFalse();
        assertThat(f.topicExists("agent.live-agent-" + f.suffix + ".requests")).isFalse();
        assertThat(f.readAll(f.requestLog)).isEmpty();
    }

    @Test
    void aRedeliveredEventIsSentOncePerTriggerInOneRun() throws Exception {
        ReplayFixtures f = new ReplayFixtures(dir, 2, TRIGGERS);
        // PagerDuty retried the delivery: the same event twice in the raw topic
        f.publish(ReplayFixtures.SECRET, event("redelivered", "QREDO", "P1"), event("redelivered", "QREDO", "P1"));

        Replayer.Report report = replayer(f).run(new Replayer.Options(Set.of("QREDO"), null, "backfill-" + f.suffix,
                TimeRange.ALL, null, true, false, Replayer.newReplayId(Instant.now()), 1000));

        assertThat(report.scanned()).isEqualTo(2);
        assertThat(report.sent()).isEqualTo(1);
        assertThat(report.duplicates()).isEqualTo(1);
        assertThat(f.awaitAll("agent.new-agent-" + f.suffix + ".requests", 1)).hasSize(1);
        List<JsonNode> log = f.awaitAll(f.requestLog, 1).stream().map(ReplayIT::json).toList();
        assertThat(log).singleElement().satisfies(e -> assertThat(e.get("write_back").asBoolean())
                .as("--write-back given").isTrue());
    }

    @Test
    void toTopicSendsEveryRequestToThatTopic() throws Exception {
        ReplayFixtures f = new ReplayFixtures(dir, 2, TRIGGERS);
        f.publish(ReplayFixtures.SECRET, event("tt-1", "QTT", "P1"));
        String target = ReplayFixtures.KAFKA.uniqueTopic("staging");

        ReplayFixtures.Result r = f.run("replay", "--incident", "QTT", "--to-topic", target);

        assertThat(r.exitCode()).as(r.err()).isZero();
        assertThat(f.awaitAll(target, 2)).hasSize(2);
        assertThat(f.topicExists("agent.live-agent-" + f.suffix + ".requests")).isFalse();
    }

    @Test
    void unknownTriggerIsAConfigurationError() throws Exception {
        ReplayFixtures f = new ReplayFixtures(dir, 1, TRIGGERS);
        ReplayFixtures.Result r = f.run("replay", "--trigger", "no-such-trigger", "--dry-run");
        assertThat(r.exitCode()).isEqualTo(3);
        assertThat(r.err()).contains("no-such-trigger", "live-" + f.suffix);
    }

    private static Replayer replayer(ReplayFixtures f) {
        ProcessorConfig config = ProcessorConfig.fromEnv(f.env);
        return new Replayer(config, new TriggerLoader(f.env).load(config.triggersPath()),
                new PrintWriter(new StringWriter()), new PrintWriter(new StringWriter()));
    }

    private static JsonNode json(ConsumerRecord<byte[], byte[]> record) {
        try {
            return Json.mapper().readTree(record.value());
        } catch (java.io.IOException e) {
            throw new AssertionError(e);
        }
    }
}
