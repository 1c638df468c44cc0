package dev.pdpipeline.console.action;

/**
 * Re-drives one dead letter: publishes the dead-lettered record again to the topic it came from,
 * so the pipeline handles it once more, once: an entry re-driven before (by the console or by
 * {@code bin/pipeline dlq redrive}) is not sent again. Implemented by the launcher.
 */
public interface RedriveAction {

    /**
     * Where the record was published again; with {@code alreadyRedriven}, nothing was sent now and
     * topic/partition/offset say where the earlier re-drive sent it (partition and offset -1 when
     * the earlier record does not say).
     */
    record Result(String topic, int partition, long offset, boolean alreadyRedriven) {

        public Result(String topic, int partition, long offset) {
            this(topic, partition, offset, false);
        }
    }

    /**
     * @param topic     a dead-letter topic
     * @param partition the dead letter's partition
     * @param offset    the dead letter's offset
     * @throws ActionException with status 404 when there is no such dead letter, 400 for another topic
     */
    Result redrive(String topic, int partition, long offset);
}
