package dev.pdpipeline.processor.notes;

import dev.pdpipeline.common.topics.TopicPlan;
import dev.pdpipeline.common.trigger.TriggerSet;
import dev.pdpipeline.processor.pagerduty.PagerDutyCaller;
import dev.pdpipeline.processor.pagerduty.PagerDutyClient;
import dev.pdpipeline.processor.pagerduty.PagerDutyException;
import dev.pdpipeline.processor.pagerduty.RetriesExhaustedException;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Applies one valid result: finds its request, honours the replay rule and the ledger, resolves
 * token and From, records {@code attempting}, writes the note part(s) and the status, records
 * {@code done}; or dead-letters it. Asynchronous: waits are scheduled, never slept.
 */
final class ResultProcessor {

    private static final Logger log = LoggerFactory.getLogger(ResultProcessor.class);
    private static final long REQUEST_POLL_MS = 200;
    private static final long KAFKA_RETRY_MS = 2_000;
    private static final int DRY_RUN_PREVIEW = 200;

    /** Test hook: simulate a crash at the worst moment. */
    interface Faults {
        Faults NONE = result -> false;

        /** True: behave as if the process died after PagerDuty accepted the write and before the ledger said done. */
        boolean crashAfterPagerDutyWrite(AgentResult result);
    }

    /** Where requests are looked up: the request log. */
    interface Requests {
        Optional<RequestLogRecord> get(String requestId);
    }

    /** The results ledger: what was attempted or done, by result id. */
    interface Ledger {
        Optional<ResultsLedger.Entry> get(String resultId);

        /** Records and waits for the acknowledgement; {@link IllegalStateException} when it failed. */
        void record(String resultId, ResultsLedger.State state, AgentResult result, List<String> noteIds, String detail);

        /** Records without waiting; completes on the acknowledgement. */
        CompletableFuture<Void> recordAsync(String resultId, ResultsLedger.State state, AgentResult result,
                List<String> noteIds);
    }

    /** The results dead-letter topic. */
    interface DeadLetters {
        /** Sends and waits for the acknowledgement; {@link IllegalStateException} when it failed. */
        void send(ConsumerRecord<byte[], byte[]> record, DeadLetterReason reason, String detail);
    }

    /** The two PagerDuty writes (one try each; retries and rate limits are the caller's). */
    interface PagerDuty {
        String createNoteUnlessPresent(String token, String from, String incidentId, String content, String marker,
                boolean checkFirst) throws PagerDutyException;

        void updateStatus(String token, String from, String incidentId, String status) throws PagerDutyException;

        static PagerDuty of(PagerDutyClient client) {
            Objects.requireNonNull(client, "client");
            return new PagerDuty() {
                @Override
                public String createNoteUnlessPresent(String token, String from, String incidentId, String content,
                        String marker, boolean checkFirst) throws PagerDutyException {
                    return client.createNoteUnlessPresent(token, from, incidentId, content, marker, checkFirst);
                }

                @Override
                public void updateStatus(String token, String from, String incidentId, String status)
                        throws PagerDutyException {
                    client.updateStatus(token, from, incidentId, status);
                }
            };
        }
    }

    /** A result being applied, with what it needs to know about its partition. */
    static final class Work {
        final ConsumerRecord<byte[], byte[]> record;
        final AgentResult result;
        final PartitionProgress progress;
        final long firstSeenNanos;
        final BooleanSupplier closing;
        /** Completes when the result's last ledger write is acknowledged; its offset waits for it. */
        volatile CompletableFuture<Void> durable = CompletableFuture.completedFuture(null);

        Work(ConsumerRecord<byte[], byte[]> record, AgentResult result, PartitionProgress progress,
                BooleanSupplier closing) {
            this.record = record;
            this.result = result;
            this.progress = progress;
            this.closing = closing;
            this.firstSeenNanos = System.nanoTime();
        }

        boolean abandoned() {
            return progress.revoked() || closing.getAsBoolean();
        }

        String where() {
            return ResultDeadLetters.where(record);
        }
    }

    private final NotesConfig config;
    private final Requests requestLog;
    private final Ledger ledger;
    private final DeadLetters deadLetters;
    private final PagerDuty client;
    private final PagerDutyCaller caller;
    private final NoteFormatter formatter;
    private final Supplier<TriggerSet> triggers;
    private final NotesMetrics metrics;
    private final Executor executor;
    private final Faults faults;

    ResultProcessor(NotesConfig config, Requests requestLog, Ledger ledger, DeadLetters deadLetters,
            PagerDuty client, PagerDutyCaller caller, Supplier<TriggerSet> triggers, NotesMetrics metrics,
            Executor executor, Faults faults) {
        this.config = Objects.requireNonNull(config, "config");
        this.requestLog = Objects.requireNonNull(requestLog, "requestLog");
        this.ledger = Objects.requireNonNull(ledger, "ledger");
        this.deadLetters = Objects.requireNonNull(deadLetters, "deadLetters");
        this.client = Objects.requireNonNull(client, "client");
        this.caller = Objects.requireNonNull(caller, "caller");
        this.triggers = Objects.requireNonNull(triggers, "triggers");
        this.metrics = Objects.requireNonNull(metrics, "metrics");
        this.executor = Objects.requireNonNull(executor, "executor");
        this.faults = Objects.requireNonNull(faults, "faults");
        this.formatter = new NoteFormatter(config.maxNoteChars(), config.maxNoteParts());
    }

    /**
     * Completes with true when the result is finished (its offset may be committed), false when
     * abandoned. Nothing happens before the partition's fence is passed (the ledger read up to
     * its end as of the assignment); a fence that fails (the ledger reader died) abandons it.
     */
    CompletableFuture<Boolean> process(Work w) {
        // async: the fence completes on the ledger reader's thread, which must not do the work
        return w.progress.fence().handleAsync((v, e) -> e, executor).thenCompose(e -> {
            if (e != null) {
                log.warn("Not applying result {} ({}): the ledger cannot be read ({}); it is read again after a "
                        + "restart", w.where(), w.result.resultId(), unwrap(e).getMessage());
                return CompletableFuture.completedFuture(false);
            }
            return fenced(w);
        });
    }

    private CompletableFuture<Boolean> fenced(Work w) {
        CompletableFuture<RequestLogRecord> request = new CompletableFuture<>();
        awaitRequest(w, request);
        return request.thenCompose(r -> handle(w, r)).handle((ok, e) -> {
            if (e == null) {
                return CompletableFuture.completedFuture(ok);
            }
            Throwable cause = unwrap(e);
            if (cause instanceof CancellationException || w.abandoned()) {
                return CompletableFuture.completedFuture(false);
            }
            if (cause instanceof NotesStore.StoreException) {
                // the local copy failed (its part is failed, the process stops): not the result's fault
                log.error("Not applying result {} ({}): {}; it is read again after a restart", w.where(),
                        w.result.resultId(), cause.getMessage());
                return CompletableFuture.completedFuture(false);
            }
            log.error("Unexpected failure applying result {} ({})", w.where(), w.result.resultId(), cause);
            return deadLetter(w, DeadLetterReason.INTERNAL_ERROR, String.valueOf(cause));
        }).thenCompose(f -> f);
    }

    private void awaitRequest(Work w, CompletableFuture<RequestLogRecord> into) {
        if (w.abandoned()) {
            into.completeExceptionally(new CancellationException("abandoned"));
            return;
        }
        Optional<RequestLogRecord> request;
        try {
            request = requestLog.get(w.result.requestId());
        } catch (RuntimeException e) {
            into.completeExceptionally(e);
            return;
        }
        if (request.isPresent()) {
            into.complete(request.get());
        } else if (System.nanoTime() - w.firstSeenNanos >= config.unknownRequestGrace().toNanos()) {
            into.complete(null);
        } else {
            CompletableFuture.delayedExecutor(REQUEST_POLL_MS, TimeUnit.MILLISECONDS, executor)
                    .execute(() -> awaitRequest(w, into));
        }
    }

    private CompletableFuture<Boolean> handle(Work w, RequestLogRecord request) {
        AgentResult r = w.result;
        if (request == null) {
            return deadLetter(w, DeadLetterReason.UNKNOWN_REQUEST, unknownRequestDetail(r.requestId()));
        }
        if (!request.agent().equals(r.agent())
                || (request.incidentId() != null && !request.incidentId().equals(r.incidentId()))) {
            return deadLetter(w, DeadLetterReason.REQUEST_MISMATCH, "request " + r.requestId() + " was routed to agent "
                    + request.agent() + " for incident " + request.incidentId() + ", the result names agent "
                    + r.agent() + " and incident " + r.incidentId());
        }
        if (!request.writeBack()) {
            metrics.writes(NotesMetrics.REPLAY_SKIPPED, r);
            log.info("Not writing result {} ({}) of agent {} for incident {}: request {} is a replay (write_back false)",
                    w.where(), r.resultId(), r.agent(), r.incidentId(), r.requestId());
            return CompletableFuture.completedFuture(true);
        }
        Optional<ResultsLedger.Entry> entry = ledger.get(r.resultId());
        if (entry.isPresent() && entry.get().state() == ResultsLedger.State.DONE) {
            metrics.writes(NotesMetrics.DUPLICATE_SKIPPED, r);
            log.info("Result {} ({}) for incident {} was already written (notes {}); skipping", w.where(),
                    r.resultId(), r.incidentId(), entry.get().noteIds());
            return CompletableFuture.completedFuture(true);
        }
        WriteCredentials credentials = WriteCredentials.resolve(r, request, triggers.get(), config);
        if (credentials.dryRun()) {
            String preview = r.note() == null ? "" : r.note().length() > DRY_RUN_PREVIEW
                    ? r.note().substring(0, DRY_RUN_PREVIEW) + "…" : r.note();
            log.info("Dry run (no PagerDuty API token for trigger {}): would write to incident {} for agent {}{}: {}",
                    request.trigger(), r.incidentId(), r.agent(),
                    r.status() == null ? "" : " and set status " + r.status(), preview);
            metrics.writes(NotesMetrics.DRY_RUN, r);
            return CompletableFuture.completedFuture(true);
        }
        if (credentials.from() == null) {
            return deadLetter(w, DeadLetterReason.NO_FROM_EMAIL, "no From email for trigger " + request.trigger()
                    + ": set from_email on the result or the trigger, or " + NotesConfig.PAGERDUTY_FROM_EMAIL);
        }
        boolean ambiguous = entry.isPresent();
        if (w.abandoned()) {
            return CompletableFuture.completedFuture(false);
        }
        try {
            ledger.record(r.resultId(), ResultsLedger.State.ATTEMPTING, r, List.of(), null);
        } catch (IllegalStateException e) {
            log.warn("Cannot record 'attempting' for result {} ({}); trying again in {} ms: {}", w.where(),
                    r.resultId(), KAFKA_RETRY_MS, e.getMessage());
            return later(w, () -> handle(w, request));
        }
        if (ambiguous) {
            log.info("Result {} ({}) for incident {} may have been written before (ledger: {}); checking the "
                    + "incident's notes for its marker first", w.where(), r.resultId(), r.incidentId(),
                    entry.get().state().code());
        }
        w.progress.writeStarted();
        List<NoteFormatter.Part> parts = r.note() == null ? List.of()
                : formatter.format(credentials.botName(), r.agent(), r.resultDigest(), r.note());
        CompletableFuture<List<String>> written = writeParts(w, credentials, parts, 0, new ArrayList<>(), ambiguous);
        if (r.status() != null) {
            written = written.thenCompose(ids -> caller.call(credentials.token(), PagerDutyClient.OP_UPDATE_STATUS,
                    again -> {
                        // idempotent: setting the same status twice is harmless, so no check is needed
                        client.updateStatus(credentials.token(), credentials.from(), r.incidentId(), r.status());
                        return ids;
                    }, false, w::abandoned));
        }
        return written.handle((ids, e) -> {
            if (e == null) {
                return finishWritten(w, ids);
            }
            return failed(w, credentials, unwrap(e));
        }).thenCompose(f -> f).whenComplete((ok, e) -> w.progress.writeEnded());
    }

    /**
     * Why a result without its request is not written: never routed by this pipeline, or routed
     * longer ago than the request log keeps requests (the broker deleted the record).
     */
    String unknownRequestDetail(String requestId) {
        long retention = config.requestLogRetentionMs();
        return "request_id " + requestId + " is not in the request log (waited "
                + config.unknownRequestGrace().toMillis() + " ms): the request is unknown, or older than the "
                + "request log's retention (" + TopicPlan.REQUEST_LOG_RETENTION_MS + "="
                + (retention < 0 ? "-1, kept forever" : retention + " ms") + ") and was deleted; not written";
    }

    private CompletableFuture<List<String>> writeParts(Work w, WriteCredentials c, List<NoteFormatter.Part> parts,
            int index, List<String> ids, boolean ambiguous) {
        if (index >= parts.size()) {
            return CompletableFuture.completedFuture(ids);
        }
        NoteFormatter.Part part = parts.get(index);
        AgentResult r = w.result;
        return caller.call(c.token(), PagerDutyClient.OP_CREATE_NOTE, checkFirst -> client.createNoteUnlessPresent(
                c.token(), c.from(), r.incidentId(), part.content(), part.marker(), checkFirst),
                ambiguous, w::abandoned).thenCompose(id -> {
            ids.add(id);
            return writeParts(w, c, parts, index + 1, ids, ambiguous);
        });
    }

    private CompletableFuture<Boolean> finishWritten(Work w, List<String> ids) {
        AgentResult r = w.result;
        if (faults.crashAfterPagerDutyWrite(r)) {
            log.warn("Simulated crash after writing result {} ({}) to PagerDuty", w.where(), r.resultId());
            return CompletableFuture.completedFuture(false);
        }
        metrics.writes(NotesMetrics.WRITTEN, r);
        log.info("Wrote result {} ({}) of agent {} to incident {}: notes {}{}", w.where(), r.resultId(), r.agent(),
                r.incidentId(), ids, r.status() == null ? "" : ", status " + r.status());
        // the incident's next result need not wait for this acknowledgement; the offset does
        w.durable = ledger.recordAsync(r.resultId(), ResultsLedger.State.DONE, r, ids).handle((v, e) -> {
            if (e != null) {
                // PagerDuty has it; the ledger stays 'attempting', so a re-read checks the marker and skips
                log.error("Wrote result {} ({}) but cannot record 'done': {}", w.where(), r.resultId(), e.toString());
            }
            return null;
        });
        return CompletableFuture.completedFuture(true);
    }

    private CompletableFuture<Boolean> failed(Work w, WriteCredentials c, Throwable cause) {
        AgentResult r = w.result;
        if (cause instanceof CancellationException) {
            log.info("Abandoned result {} ({}) for incident {}: {}; it stays 'attempting' and is checked when read "
                    + "again", w.where(), r.resultId(), r.incidentId(), cause.getMessage());
            return CompletableFuture.completedFuture(false);
        }
        DeadLetterReason reason;
        String detail;
        if (cause instanceof PagerDutyException e) {
            reason = e.kind() == PagerDutyException.Kind.REJECTED ? DeadLetterReason.PAGERDUTY_REJECTED
                    : DeadLetterReason.PAGERDUTY_UNAVAILABLE;
            detail = e.getMessage();
        } else if (cause instanceof RetriesExhaustedException e) {
            reason = DeadLetterReason.PAGERDUTY_UNAVAILABLE;
            detail = e.getMessage();
        } else {
            reason = DeadLetterReason.INTERNAL_ERROR;
            detail = String.valueOf(cause);
            log.error("Unexpected failure writing result {} ({})", w.where(), r.resultId(), cause);
        }
        String safe = PagerDutyClient.scrub(detail, c.token());
        try {
            ledger.record(r.resultId(), ResultsLedger.State.DEAD_LETTERED, r, List.of(), safe);
        } catch (IllegalStateException e) {
            log.warn("Cannot record 'dead_lettered' for result {}: {}", r.resultId(), e.getMessage());
        }
        return deadLetter(w, reason, safe);
    }

    private CompletableFuture<Boolean> deadLetter(Work w, DeadLetterReason reason, String detail) {
        try {
            deadLetters.send(w.record, reason, detail);
            metrics.writes(NotesMetrics.DEAD_LETTERED, w.result);
            return CompletableFuture.completedFuture(true);
        } catch (IllegalStateException e) {
            if (w.abandoned()) {
                return CompletableFuture.completedFuture(false);
            }
            log.error("Cannot dead-letter result {}; trying again in {} ms: {}", w.where(), KAFKA_RETRY_MS,
                    e.getMessage());
            return later(w, () -> deadLetter(w, reason, detail));
        }
    }

    private CompletableFuture<Boolean> later(Work w, Supplier<CompletableFuture<Boolean>> then) {
        return CompletableFuture.supplyAsync(() -> null,
                        CompletableFuture.delayedExecutor(KAFKA_RETRY_MS, TimeUnit.MILLISECONDS, executor))
                .thenCompose(x -> w.abandoned() ? CompletableFuture.completedFuture(false) : then.get());
    }

    static Throwable unwrap(Throwable e) {
        Throwable t = e;
        while ((t instanceof CompletionException || t instanceof ExecutionException) && t.getCause() != null) {
            t = t.getCause();
        }
        return t;
    }
}
