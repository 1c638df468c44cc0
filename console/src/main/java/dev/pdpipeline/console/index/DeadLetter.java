package dev.pdpipeline.console.index;

/**
 * A record of one of the dead-letter topics, with its {@code pdpipeline-dlq-*} headers.
 *
 * @param value the record's value as text, cut at {@link ConsoleIndex#MAX_TEXT} characters
 */
public record DeadLetter(String topic, int partition, long offset, String key, String reason, String detail,
        String sourceTopic, Integer sourcePartition, Long sourceOffset, String at, String incidentId,
        String requestId, String value) {

    /** {@code topic/partition/offset}: what the re-drive action names. */
    public String coordinates() {
        return topic + "/" + partition + "/" + offset;
    }
}
