package dev.pdpipeline.common.deadletter;

import java.util.List;

/**
 * What a re-drive did (or, with dry run, would do).
 *
 * @param redriven        entries sent back to {@code target} (with dry run: that would be)
 * @param alreadyRedriven matching entries the re-drive topic records as re-driven before; skipped
 */
public record RedriveReport(DeadLetterTopic kind, String target, boolean dryRun, List<DeadLetter> redriven,
        List<DeadLetter> alreadyRedriven) {

    public RedriveReport {
        redriven = List.copyOf(redriven);
        alreadyRedriven = List.copyOf(alreadyRedriven);
    }
}
