package dev.pdpipeline.processor.notes;

import static org.assertj.core.api.Assertions.assertThat;

import dev.pdpipeline.common.trigger.TriggerSet;
import dev.pdpipeline.processor.pagerduty.PagerDutyCaller;
import dev.pdpipeline.processor.pagerduty.PagerDutyException;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The fencing and ledger rules of one result, with the ledger, request log, DLQ and PagerDuty faked in memory. */
class ResultProcessorTest {

    private static final String TOKEN = "rp-token-SECRET";
    private static final TopicPartition TP = new TopicPartition("agent.results", 0);

    private final ExecutorService executor = Executors.newFixedThreadPool(2);
    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private final FakeRequests requests = new FakeRequests();
    private final FakeLedger ledger = new FakeLedger();
    private final FakeDeadLetters deadLetters = new FakeDeadLetters();
    private final FakePagerDuty pagerDuty = new FakePagerDuty(ledger);
    private final NotesConfig config = NotesConfig.fromEnv(Map.of(NotesConfig.PAGERDUTY_API_TOKEN, TOKEN,
            NotesConfig.PAGERDUTY_FROM_EMAIL, "bot@example.com", NotesConfig.NOTES_UNKNOWN_REQUEST_GRACE_MS, "0"));
    private final PagerDutyCaller caller = new PagerDutyCaller(60_000, Duration.ofSeconds(5), Duration.ofMillis(10),
            Duration.ofMillis(50), executor, registry);
    private final ResultProcessor processor = new ResultProcessor(config, requests, ledger, deadLetters, pagerDuty,
            caller, TriggerSet::empty, new NotesMetrics(registry), executor, ResultProcessor.Faults.NONE);

    @AfterEach
    void stop() {
        executor.shutdownNow();
    }

    @Test
    void writesNothingUntilTheLedgerIsReadUpToTheAssignment() throws Exception {
        CompletableFuture<Void> fence = new CompletableFuture<>();
        ResultProcessor.Work w = work("req-1", "P1", new PartitionProgress(TP, fence));

        CompletableFuture<Boolean> done = processor.process(w);

        assertThat(done).isNotDone();
        assertThat(pagerDuty.calls).isEmpty();
        assertThat(ledger.history).isEmpty();
        fence.complete(null);
        assertThat(done.get(10, TimeUnit.SECONDS)).isTrue();
        assertThat(ledger.history).containsExactly("attempting", "done");
        assertThat(pagerDuty.calls).containsExactly("note P1 check=false ledger=attempting");
    }

    @Test
    void aDoneEntryReadBehindTheFenceSkipsTheResult() throws Exception {
        CompletableFuture<Void> fence = new CompletableFuture<>();
        ResultProcessor.Work w = work("req-1", "P1", new PartitionProgress(TP, fence));
        CompletableFuture<Boolean> done = processor.process(w);
        // the previous owner's 'done' arrives while the new owner reads the ledger up to date
        ledger.entries.put(w.result.resultId(), new ResultsLedger.Entry(ResultsLedger.State.DONE, List.of("N1")));
        fence.complete(null);

        assertThat(done.get(10, TimeUnit.SECONDS)).isTrue();
        assertThat(pagerDuty.calls).isEmpty();
        assertThat(registry.counter(NotesMetrics.WRITES, "outcome", NotesMetrics.DUPLICATE_SKIPPED, "kind", "note")
                .count()).isEqualTo(1);
    }

    @Test
    void anAttemptingEntryOfThePreviousOwnerIsCheckedForItsMarkerFirst() throws Exception {
        ResultProcessor.Work w = work("req-1", "P1", new PartitionProgress(TP));
        ledger.entries.put(w.result.resultId(), new ResultsLedger.Entry(ResultsLedger.State.ATTEMPTING, List.of()));

        assertThat(processor.process(w).get(10, TimeUnit.SECONDS)).isTrue();

        assertThat(pagerDuty.calls).containsExactly("note P1 check=true ledger=attempting");
    }

    @Test
    void aFenceThatFailsLeavesTheResultUnfinishedAndUnwritten() throws Exception {
        ResultProcessor.Work w = work("req-1", "P1",
                new PartitionProgress(TP, CompletableFuture.failedFuture(new IllegalStateException("ledger reader died"))));

        assertThat(processor.process(w).get(10, TimeUnit.SECONDS)).isFalse();

        assertThat(pagerDuty.calls).isEmpty();
        assertThat(ledger.history).isEmpty();
        assertThat(deadLetters.sent).isEmpty();
    }

    @Test
    void aPartitionRevokedBeforeItsFenceOpenedStartsNoWrite() throws Exception {
        CompletableFuture<Void> fence = new CompletableFuture<>();
        PartitionProgress progress = new PartitionProgress(TP, fence);
        ResultProcessor.Work w = work("req-1", "P1", progress);
        CompletableFuture<Boolean> done = processor.process(w);
        progress.revoke();
        fence.complete(null);

        assertThat(done.get(10, TimeUnit.SECONDS)).isFalse();
        assertThat(pagerDuty.calls).isEmpty();
        assertThat(ledger.history).isEmpty();
    }

    @Test
    void countsTheWriteInFlightUntilPagerDutyAnswers() throws Exception {
        PartitionProgress progress = new PartitionProgress(TP);
        CompletableFuture<Void> answer = new CompletableFuture<>();
        pagerDuty.hold = answer;
        CompletableFuture<Boolean> done = processor.process(work("req-1", "P1", progress));

        org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> progress.writing() == 1);
        assertThat(progress.awaitSettled(TimeUnit.MILLISECONDS.toNanos(50))).isFalse();
        answer.complete(null);
        assertThat(done.get(10, TimeUnit.SECONDS)).isTrue();
        assertThat(progress.awaitSettled(TimeUnit.SECONDS.toNanos(10))).isTrue();
    }

    @Test
    void anUnknownRequestIsDeadLetteredAfterTheGrace() throws Exception {
        ResultProcessor.Work w = work("req-unknown", "P1", new PartitionProgress(TP), false);

        assertThat(processor.process(w).get(10, TimeUnit.SECONDS)).isTrue();

        assertThat(deadLetters.sent).containsExactly(DeadLetterReason.UNKNOWN_REQUEST);
        assertThat(deadLetters.details.get(0)).contains("req-unknown").contains("unknown, or older than the request "
                + "log's retention").contains("REQUEST_LOG_RETENTION_MS=2592000000 ms");
        assertThat(pagerDuty.calls).isEmpty();
    }

    @Test
    void aLocalStoreThatCannotBeReadLeavesTheResultUnfinishedNotDeadLettered() throws Exception {
        ResultProcessor broken = new ResultProcessor(config, id -> {
            throw new NotesStore.StoreException("cannot read the request-log store: IOError", null);
        }, ledger, deadLetters, pagerDuty, caller, TriggerSet::empty, new NotesMetrics(registry), executor,
                ResultProcessor.Faults.NONE);

        assertThat(broken.process(work("req-1", "P1", new PartitionProgress(TP))).get(10, TimeUnit.SECONDS))
                .as("read again after the restart the failed store causes").isFalse();

        assertThat(deadLetters.sent).isEmpty();
        assertThat(pagerDuty.calls).isEmpty();
        assertThat(ledger.history).isEmpty();
    }

    private ResultProcessor.Work work(String requestId, String incident, PartitionProgress progress) {
        return work(requestId, incident, progress, true);
    }

    private ResultProcessor.Work work(String requestId, String incident, PartitionProgress progress, boolean known) {
        if (known) {
            requests.map.put(requestId, new RequestLogRecord(requestId, "t", "agent-a", incident, "ev-" + requestId,
                    false, true, Instant.now().toString()));
        }
        String json = "{\"request_id\":\"" + requestId + "\",\"incident_id\":\"" + incident
                + "\",\"agent\":\"agent-a\",\"note\":\"hello\"}";
        byte[] value = json.getBytes(StandardCharsets.UTF_8);
        ConsumerRecord<byte[], byte[]> record = new ConsumerRecord<>(TP.topic(), TP.partition(), 7L,
                incident.getBytes(StandardCharsets.UTF_8), value);
        try {
            return new ResultProcessor.Work(record, AgentResult.parse(value), progress, () -> false);
        } catch (InvalidResultException e) {
            throw new IllegalStateException(e);
        }
    }

    private static final class FakeRequests implements ResultProcessor.Requests {
        final Map<String, RequestLogRecord> map = new ConcurrentHashMap<>();

        @Override
        public Optional<RequestLogRecord> get(String requestId) {
            return Optional.ofNullable(map.get(requestId));
        }
    }

    private static final class FakeLedger implements ResultProcessor.Ledger {
        final Map<String, ResultsLedger.Entry> entries = new ConcurrentHashMap<>();
        final List<String> history = new CopyOnWriteArrayList<>();

        @Override
        public Optional<ResultsLedger.Entry> get(String resultId) {
            return Optional.ofNullable(entries.get(resultId));
        }

        @Override
        public void record(String resultId, ResultsLedger.State state, AgentResult result, List<String> noteIds,
                String detail) {
            history.add(state.code());
            entries.put(resultId, new ResultsLedger.Entry(state, noteIds == null ? List.of() : noteIds));
        }

        @Override
        public CompletableFuture<Void> recordAsync(String resultId, ResultsLedger.State state, AgentResult result,
                List<String> noteIds) {
            record(resultId, state, result, noteIds, null);
            return CompletableFuture.completedFuture(null);
        }

        String last() {
            return history.isEmpty() ? "none" : history.get(history.size() - 1);
        }
    }

    private static final class FakeDeadLetters implements ResultProcessor.DeadLetters {
        final List<DeadLetterReason> sent = new CopyOnWriteArrayList<>();
        final List<String> details = new CopyOnWriteArrayList<>();

        @Override
        public void send(ConsumerRecord<byte[], byte[]> record, DeadLetterReason reason, String detail) {
            details.add(detail);
            sent.add(reason);
        }
    }

    private static final class FakePagerDuty implements ResultProcessor.PagerDuty {
        final List<String> calls = new CopyOnWriteArrayList<>();
        final FakeLedger ledger;
        volatile CompletableFuture<Void> hold = CompletableFuture.completedFuture(null);
        private int ids;

        FakePagerDuty(FakeLedger ledger) {
            this.ledger = ledger;
        }

        @Override
        public synchronized String createNoteUnlessPresent(String token, String from, String incidentId,
                String content, String marker, boolean checkFirst) throws PagerDutyException {
            calls.add("note " + incidentId + " check=" + checkFirst + " ledger=" + ledger.last());
            hold.join();
            return "N" + (++ids);
        }

        @Override
        public void updateStatus(String token, String from, String incidentId, String status) {
            calls.add("status " + incidentId + " " + status);
        }
    }
}
