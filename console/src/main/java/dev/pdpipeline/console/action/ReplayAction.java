package dev.pdpipeline.console.action;

/**
 * Replays one incident's raw events to one trigger, with the meaning of
 * {@code bin/pipeline replay --incident ID --trigger NAME}: current Trigger files, new request ids,
 * {@code replay: true}, no write-back. Implemented by the launcher.
 */
public interface ReplayAction {

    /** What a replay did. */
    record Result(String replayId, long scanned, long matched, long sent) {
    }

    /**
     * @throws ActionException with status 404 for an unknown trigger, 400 for an unusable request
     */
    Result replay(String incidentId, String trigger);
}
