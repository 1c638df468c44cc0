package dev.pdpipeline.launcher.console;

import com.fasterxml.jackson.databind.JsonNode;
import dev.pdpipeline.common.deadletter.DeadLetter;
import dev.pdpipeline.common.deadletter.DeadLetterTopic;
import dev.pdpipeline.common.deadletter.DeadLetters;
import dev.pdpipeline.common.deadletter.MissingDeadLetterTopicException;
import dev.pdpipeline.common.deadletter.RedriveReport;
import dev.pdpipeline.common.topics.TopicCatalogue;
import dev.pdpipeline.console.action.ActionException;
import dev.pdpipeline.console.action.RedriveAction;
import java.util.Objects;

/**
 * The console's re-drive button on the same core as {@code bin/pipeline dlq redrive}
 * ({@link DeadLetters}): the entry is sent back and recorded on the re-drive topic in one
 * transaction, so pressing twice, or re-driving from the command line afterwards, sends it once.
 */
public final class ConsoleRedrive implements RedriveAction {

    private final DeadLetters deadLetters;
    private final TopicCatalogue topics;

    public ConsoleRedrive(DeadLetters deadLetters, TopicCatalogue topics) {
        this.deadLetters = Objects.requireNonNull(deadLetters, "deadLetters");
        this.topics = Objects.requireNonNull(topics, "topics");
    }

    @Override
    public synchronized Result redrive(String topic, int partition, long offset) {
        DeadLetterTopic kind;
        if (topic.equals(topics.deadLetter())) {
            kind = DeadLetterTopic.RAW;
        } else if (topic.equals(topics.resultsDeadLetter())) {
            kind = DeadLetterTopic.RESULTS;
        } else {
            throw new ActionException(400, "'" + topic + "' is not a dead-letter topic");
        }
        RedriveReport report;
        try {
            report = deadLetters.redrive(kind, e -> e.partition() == partition && e.offset() == offset, false);
        } catch (MissingDeadLetterTopicException e) {
            throw new ActionException(404, e.getMessage());
        }
        DeadLetter entry = report.redriven().isEmpty()
                ? report.alreadyRedriven().stream().findFirst().orElse(null)
                : report.redriven().get(0);
        if (entry == null) {
            throw new ActionException(404, "no dead letter at " + topic + "-" + partition + "@" + offset);
        }
        JsonNode target = deadLetters.redriveRecords().getOrDefault(entry.id(), null);
        JsonNode sent = target == null ? null : target.path("target");
        String sentTopic = sent != null && sent.path("topic").isTextual() ? sent.path("topic").asText() : report.target();
        int sentPartition = sent != null && sent.path("partition").canConvertToInt() ? sent.path("partition").asInt(-1) : -1;
        long sentOffset = sent != null && sent.path("offset").canConvertToLong() ? sent.path("offset").asLong(-1) : -1;
        return new Result(sentTopic, sentPartition, sentOffset, report.redriven().isEmpty());
    }
}
