package dev.pdpipeline.console.action;

/**
 * Re-drives one dead letter: publishes the dead-lettered record again to the topic it came from,
 * so the pipeline handles it once more. Implemented by the launcher.
 */
public interface RedriveAction {

    /** Where the record was published again. */
    record Result(String topic, int partition, long offset) {
    }

    /**
     * @param topic     a dead-letter topic
     * @param partition the dead letter's partition
     * @param offset    the dead letter's offset
     * @throws ActionException with status 404 when there is no such dead letter, 400 for another topic
     */
    Result redrive(String topic, int partition, long offset);
}
