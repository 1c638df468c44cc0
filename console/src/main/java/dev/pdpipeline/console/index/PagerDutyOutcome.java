package dev.pdpipeline.console.index;

import java.util.List;

/**
 * What happened to a result in PagerDuty.
 *
 * @param state {@code written} (ledger done), {@code attempting}, {@code dead_lettered} (ledger or
 *              results DLQ), {@code not_written_replay} (the request was a replay without write-back),
 *              {@code dry_run} (no API token for the routing trigger), or {@code pending}
 * @param reason for {@code dead_lettered}: the {@code pdpipeline-dlq-reason} code
 */
public record PagerDutyOutcome(String state, String reason, String detail, List<String> noteIds) {

    public PagerDutyOutcome {
        noteIds = noteIds == null ? List.of() : List.copyOf(noteIds);
    }
}
