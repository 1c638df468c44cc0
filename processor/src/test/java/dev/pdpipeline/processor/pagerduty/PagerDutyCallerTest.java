package dev.pdpipeline.processor.pagerduty;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import dev.pdpipeline.processor.fakepd.FakePagerDuty;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The retry and rate-limit policy, against the contract-enforcing fake PagerDuty. */
class PagerDutyCallerTest {

    private static final String TOKEN = "pd-token-SECRET-abc";
    private static final String FROM = "bot@example.com";

    private final FakePagerDuty fake = FakePagerDuty.start(TOKEN).incidents("P1");
    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private final ExecutorService executor = Executors.newFixedThreadPool(2);
    private final PagerDutyClient client = new PagerDutyClient(fake.url(), Duration.ofMillis(500), registry);

    @AfterEach
    void close() {
        fake.close();
        executor.shutdownNow();
    }

    private PagerDutyCaller caller(Duration maxRetry) {
        return new PagerDutyCaller(60_000, maxRetry, Duration.ofMillis(20), Duration.ofMillis(200), executor, registry);
    }

    private CompletableFuture<String> writeNote(PagerDutyCaller caller, String content, String marker) {
        return caller.call(TOKEN, PagerDutyClient.OP_CREATE_NOTE,
                check -> client.createNoteUnlessPresent(TOKEN, FROM, "P1", content, marker, check), false, () -> false);
    }

    @Test
    void waitsAsPagerDutySaysOn429ThenSucceeds() throws Exception {
        fake.rateLimitReset(1).failNext(1, 429);
        long start = System.nanoTime();

        String id = writeNote(caller(Duration.ofSeconds(30)), "hello", "[m1]").get(10, TimeUnit.SECONDS);

        long waitedMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        assertThat(id).isNotBlank();
        assertThat(waitedMs).isGreaterThanOrEqualTo(950);
        assertThat(fake.notes("P1")).hasSize(1);
        assertThat(fake.rateLimitedCount()).isEqualTo(1);
        assertThat(registry.counter("pdpipeline.notes.rate_limited", "operation", "create_note").count()).isEqualTo(1);
    }

    @Test
    void retriesServerErrorsThenSucceeds() throws Exception {
        fake.failNext(3, 500);

        String id = writeNote(caller(Duration.ofSeconds(30)), "hello", "[m2]").get(10, TimeUnit.SECONDS);

        assertThat(id).isNotBlank();
        assertThat(fake.requests()).filteredOn(r -> r.status() == 500).hasSize(3);
        assertThat(registry.counter("pdpipeline.notes.retries", "operation", "create_note", "reason", "transient")
                .count()).isEqualTo(3);
        // a 5xx may hide a write that happened: later tries check for the marker first
        assertThat(fake.requests()).filteredOn(r -> r.method().equals("GET")).isNotEmpty();
        assertThat(fake.notes("P1")).hasSize(1);
    }

    @Test
    void givesUpWithTheLastErrorWhenTheRetryBudgetIsSpent() {
        fake.failFor(Duration.ofMinutes(1), 503);

        Throwable e = catchThrowable(() -> writeNote(caller(Duration.ofMillis(500)), "hello", "[m3]")
                .get(10, TimeUnit.SECONDS));

        assertThat(e).isInstanceOf(ExecutionException.class).cause().isInstanceOf(RetriesExhaustedException.class)
                .hasMessageContaining("HTTP 503");
        assertThat(fake.notes("P1")).isEmpty();
    }

    @Test
    void rejectsUnauthorizedAtOnceWithPagerDutysErrorAndNoToken() {
        PagerDutyClient wrongToken = new PagerDutyClient(fake.url(), Duration.ofMillis(500), registry);
        String bad = "wrong-token-SECRET-xyz";

        Throwable e = catchThrowable(() -> caller(Duration.ofSeconds(30)).call(bad, PagerDutyClient.OP_CREATE_NOTE,
                check -> wrongToken.createNote(bad, FROM, "P1", "hello"), false, () -> false).get(10, TimeUnit.SECONDS));

        PagerDutyException pd = (PagerDutyException) e.getCause();
        assertThat(pd.kind()).isEqualTo(PagerDutyException.Kind.REJECTED);
        assertThat(pd.status()).isEqualTo(401);
        assertThat(pd.getMessage()).contains("\"code\":2006").doesNotContain(bad);
        assertThat(fake.requests()).hasSize(1);
    }

    @Test
    void rejectsUnknownIncidentAtOnceWithPagerDutysError() {
        Throwable e = catchThrowable(() -> caller(Duration.ofSeconds(30)).call(TOKEN, PagerDutyClient.OP_CREATE_NOTE,
                check -> client.createNote(TOKEN, FROM, "PNOPE", "hello"), false, () -> false).get(10, TimeUnit.SECONDS));

        PagerDutyException pd = (PagerDutyException) e.getCause();
        assertThat(pd.status()).isEqualTo(404);
        assertThat(pd.body()).contains("Incident Not Found");
        assertThat(pd.getMessage()).doesNotContain(TOKEN);
        assertThat(fake.requests()).hasSize(1);
    }

    @Test
    void timeoutAfterSendingDoesNotWriteASecondNote() throws Exception {
        fake.delayNext(1, Duration.ofMillis(1_500));

        String id = writeNote(caller(Duration.ofSeconds(30)), "analysis [m4]", "[m4]").get(20, TimeUnit.SECONDS);

        assertThat(fake.notes("P1")).hasSize(1);
        assertThat(id).isEqualTo(fake.notes("P1").get(0).id());
        assertThat(fake.requests()).filteredOn(r -> r.method().equals("POST")).hasSize(1);
        assertThat(fake.requests()).filteredOn(r -> r.method().equals("GET")).hasSize(1);
    }

    @Test
    void cancelledCallStopsBeforeTheNextTry() {
        fake.failFor(Duration.ofMinutes(1), 500);
        java.util.concurrent.atomic.AtomicBoolean cancelled = new java.util.concurrent.atomic.AtomicBoolean();

        CompletableFuture<String> f = caller(Duration.ofSeconds(30)).call(TOKEN, PagerDutyClient.OP_CREATE_NOTE,
                check -> {
                    cancelled.set(true);
                    return client.createNote(TOKEN, FROM, "P1", "x");
                }, false, cancelled::get);

        assertThat(catchThrowable(() -> f.get(10, TimeUnit.SECONDS))).isInstanceOf(CancellationException.class);
        assertThat(fake.requests()).hasSize(1);
    }

    @Test
    void clientSideLimiterKeepsATokenUnderTheRate() throws Exception {
        // 600/min = one call per 100 ms: 6 calls cannot finish in under 500 ms
        PagerDutyCaller slow = new PagerDutyCaller(600, Duration.ofSeconds(30), Duration.ofMillis(20),
                Duration.ofMillis(200), executor, registry);
        long start = System.nanoTime();
        CompletableFuture<?>[] calls = new CompletableFuture<?>[6];
        for (int i = 0; i < calls.length; i++) {
            calls[i] = writeNote(slow, "n" + i, "[x" + i + "]");
        }
        CompletableFuture.allOf(calls).get(10, TimeUnit.SECONDS);

        assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start)).isGreaterThanOrEqualTo(480);
        assertThat(fake.notes("P1")).hasSize(6);
    }

    @Test
    void sendsNothingWithoutAShareAndStartsWhenOneIsGiven() throws Exception {
        PagerDutyCaller caller = caller(Duration.ofSeconds(30));
        caller.share(0.0);
        CompletableFuture<String> call = writeNote(caller, "waiting for a share", "[m-share]");

        org.awaitility.Awaitility.await().during(Duration.ofMillis(500)).atMost(Duration.ofSeconds(2))
                .until(() -> fake.requests().isEmpty());
        assertThat(call).isNotDone();
        caller.share(1.0);
        assertThat(call.get(10, TimeUnit.SECONDS)).isNotBlank();
        assertThat(caller.callsPerMinute()).isEqualTo(60_000.0);
    }

    @Test
    void pacesCallsAtItsShareOfTheLimit() throws Exception {
        PagerDutyCaller caller = new PagerDutyCaller(1_200, Duration.ofSeconds(30), Duration.ofMillis(20),
                Duration.ofMillis(200), executor, registry);
        caller.share(0.25); // 300/min: one call every 200 ms
        assertThat(caller.callsPerMinute()).isEqualTo(300.0);
        long start = System.nanoTime();
        List<CompletableFuture<String>> calls = new java.util.ArrayList<>();
        for (int i = 0; i < 6; i++) {
            calls.add(writeNote(caller, "paced " + i, "[m-pace-" + i + "]"));
        }
        for (CompletableFuture<String> c : calls) {
            c.get(20, TimeUnit.SECONDS);
        }
        long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        // 6 calls at one per 200 ms: the first at once, the last after 1 s
        assertThat(ms).isGreaterThanOrEqualTo(950);
        List<Long> at = fake.requests().stream().map(FakePagerDuty.Request::atNanos).sorted().toList();
        // slots are 200 ms apart: the first call may take the current slot, every later one waits for its own
        for (int i = 1; i < at.size(); i++) {
            assertThat(at.get(i) - at.get(0)).as("call %d after the first", i)
                    .isGreaterThanOrEqualTo(TimeUnit.MILLISECONDS.toNanos(200L * (i - 1) - 20));
        }
    }

    @Test
    void refusesAShareOutsideZeroToOne() {
        PagerDutyCaller caller = caller(Duration.ofSeconds(1));
        assertThat(catchThrowable(() -> caller.share(1.5))).isInstanceOf(IllegalArgumentException.class);
        assertThat(catchThrowable(() -> caller.share(-0.1))).isInstanceOf(IllegalArgumentException.class);
    }
}
