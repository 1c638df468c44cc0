package dev.pdpipeline.processor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.pdpipeline.common.json.Json;
import dev.pdpipeline.common.kafka.TopicAdmin;
import dev.pdpipeline.common.topics.TopicCatalogue;
import dev.pdpipeline.processor.fakepd.FakePagerDuty;
import dev.pdpipeline.processor.notes.NotesConfig;
import dev.pdpipeline.processor.notes.NotesWriter;
import dev.pdpipeline.processor.notes.RequestLogRecord;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Several processor JVMs with one {@code APPLICATION_ID} write notes on one PagerDuty token,
 * against a fake PagerDuty that enforces the real limit as a token bucket (960 calls a minute,
 * 3 s of burst) across all callers: the instances share one budget, and every note is written
 * exactly once while instances join, leave and are SIGKILLed.
 *
 * <p>Counts: {@code -Dpdpipeline.scaleout.results} (default 600 in CI; the full size is 1500)
 * results for the budget test; the churn test feeds 8 results a second until its scenario (a
 * third instance joins and leaves, then {@code -Dpdpipeline.churn.kills}, default 5, SIGKILLs)
 * is over.
 */
@Tag("slow")
class NotesScaleOutIT {

    private static final Logger LOG = LoggerFactory.getLogger(NotesScaleOutIT.class);
    private static final String TOKEN = "scale-out-token-SECRET";
    private static final String TRIGGER = "scale-out";
    private static final String AGENT = "scale-agent";
    private static final int PARTITIONS = 4;
    private static final int INCIDENTS = 40;
    private static final int PAGERDUTY_PER_MINUTE = 960;
    private static final Duration BURST = Duration.ofSeconds(3);
    private static final Pattern MARKER = Pattern.compile("\\[pdpipeline:[0-9a-f]{16}(:\\d+/\\d+)?]");
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    /** Request-log records prepared for the churn test; it feeds results until its scenario ends. */
    private static final int MAX_CHURN_RESULTS = 5_000;

    @TempDir
    Path dir;

    private final List<Instance> instances = new ArrayList<>();

    @AfterEach
    void stopChildren() {
        instances.forEach(i -> i.process.destroyForcibly());
    }

    @Test
    void twoInstancesShareOneBudgetAndWriteEveryNoteOnce() throws Exception {
        int count = Integer.getInteger("pdpipeline.scaleout.results", 600);
        Setup s = new Setup("budget");
        try (FakePagerDuty fake = s.fake(); KafkaProducer<byte[], byte[]> producer = s.producer()) {
            s.requests(producer, count);
            Instance a = start(s, fake, "budget-a");
            Instance b = start(s, fake, "budget-b");
            await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(500))
                    .until(() -> a.gauge("pdpipeline_notes_partitions") == PARTITIONS / 2
                            && b.gauge("pdpipeline_notes_partitions") == PARTITIONS / 2);
            assertThat(a.gauge("pdpipeline_notes_budget_per_minute")).as("share of instance a")
                    .isEqualTo(NotesConfig.DEFAULT_RATE_LIMIT_PER_MINUTE / 2.0);
            assertThat(b.gauge("pdpipeline_notes_budget_per_minute")).as("share of instance b")
                    .isEqualTo(NotesConfig.DEFAULT_RATE_LIMIT_PER_MINUTE / 2.0);

            long t0 = System.nanoTime();
            for (int i = 0; i < count; i++) {
                s.result(producer, i);
            }
            producer.flush();
            Duration expected = Duration.ofSeconds(count * 60L / NotesConfig.DEFAULT_RATE_LIMIT_PER_MINUTE);
            await().atMost(expected.multipliedBy(2).plusSeconds(60)).pollInterval(Duration.ofSeconds(1))
                    .until(() -> noteCount(fake) >= count);
            long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);

            assertExactlyOnce(fake, count);
            List<FakePagerDuty.Request> calls = fake.requests();
            long answered429 = calls.stream().filter(r -> r.status() == 429).count();
            assertThat((double) answered429).as("429 answers of %s calls", calls.size())
                    .isLessThan(calls.size() * 0.01);
            // each instance wrote exactly the results of its two partitions (no rebalance meanwhile)
            double writtenA = a.counter("pdpipeline_notes_writes_total", "outcome=\"written\"");
            double writtenB = b.counter("pdpipeline_notes_writes_total", "outcome=\"written\"");
            assertThat(writtenA + writtenB).isEqualTo(count);
            assertThat(writtenA).as("instance a's writes").isEqualTo(count / 2.0);
            LOG.info("Scale-out budget: {} results by 2 instances ({} + {} written) in {} ms; {} calls, {} answered "
                            + "429; busiest 3 s: {} calls (bucket {}), busiest 60 s: {} calls (limit {})",
                    count, writtenA, writtenB, ms, calls.size(), answered429, busiest(calls, BURST),
                    PAGERDUTY_PER_MINUTE * BURST.toSeconds() / 60, busiest(calls, Duration.ofSeconds(60)),
                    PAGERDUTY_PER_MINUTE);
        }
    }

    @Test
    void noNoteTwiceNorLostWhileInstancesJoinLeaveAndAreKilled() throws Exception {
        int kills = Integer.getInteger("pdpipeline.churn.kills", 5);
        Setup s = new Setup("churn");
        try (FakePagerDuty fake = s.fake(); KafkaProducer<byte[], byte[]> producer = s.producer()) {
            s.requests(producer, MAX_CHURN_RESULTS);
            Instance a = start(s, fake, "churn-a-0");
            Instance b = start(s, fake, "churn-b");
            await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(500))
                    .until(() -> a.gauge("pdpipeline_notes_partitions") + b.gauge("pdpipeline_notes_partitions")
                            == PARTITIONS);
            Feeder feeder = new Feeder(s, producer, MAX_CHURN_RESULTS);
            feeder.start();
            List<String> events = new ArrayList<>();

            // a third instance joins, takes partitions, writes, and leaves (SIGTERM) with slow writes in flight
            Instance c = start(s, fake, "churn-c");
            awaitWriting(c, fake);
            fake.delayNext(4, Duration.ofMillis(2_500));
            c.process.destroy();
            assertThat(c.process.waitFor(60, TimeUnit.SECONDS)).as("instance c stops on SIGTERM").isTrue();
            events.add("c joined and left at " + noteCount(fake) + " notes");

            // instance a is SIGKILLed again and again, each time while it writes and some of its
            // writes are slow (PagerDuty applied them but has not answered yet)
            Instance victim = a;
            for (int k = 1; k <= kills; k++) {
                awaitWriting(victim, fake);
                fake.delayNext(4, Duration.ofMillis(2_500));
                victim.process.destroyForcibly().waitFor();
                events.add("kill " + k + " at " + noteCount(fake) + " notes, " + feeder.sent() + " results sent");
                LOG.info("SIGKILL {}", events.get(events.size() - 1));
                victim = start(s, fake, "churn-a-" + k);
            }
            Instance last = victim;
            awaitWriting(last, fake);
            int count = feeder.stop();
            await().atMost(Duration.ofSeconds(180)).pollInterval(Duration.ofSeconds(1))
                    .until(() -> noteCount(fake) >= count);
            // then until both have nothing left to do: a late duplicate would show by now
            await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(500))
                    .until(() -> last.gauge("pdpipeline_notes_backlog") == 0 && b.gauge("pdpipeline_notes_backlog") == 0);

            assertExactlyOnce(fake, count);
            long gets = fake.requests().stream().filter(r -> r.method().equals("GET")).count();
            long answered429 = fake.requests().stream().filter(r -> r.status() == 429).count();
            LOG.info("Scale-out churn: {} results, {} notes exactly once; {} marker checks, {} answered 429; {}",
                    count, noteCount(fake), gets, answered429, String.join("; ", events));
            assertThat(events).hasSize(kills + 1);
        }
    }

    /** Waits until the instance owns results partitions and has written since. */
    private static void awaitWriting(Instance instance, FakePagerDuty fake) {
        await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(250))
                .until(() -> instance.gauge("pdpipeline_notes_partitions") > 0);
        int at = noteCount(fake);
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(100))
                .until(() -> instance.counter("pdpipeline_notes_writes_total", "outcome=\"written\"") > 0
                        && noteCount(fake) > at + 5);
    }

    private static void assertExactlyOnce(FakePagerDuty fake, int count) {
        Map<String, Integer> perMarker = new HashMap<>();
        fake.allNotes().values().forEach(notes -> notes.forEach(n -> {
            Matcher m = MARKER.matcher(n.content());
            assertThat(m.find()).as("marker in %s", n.content()).isTrue();
            perMarker.merge(m.group(), 1, Integer::sum);
        }));
        List<String> twice = perMarker.entrySet().stream().filter(e -> e.getValue() > 1).map(Map.Entry::getKey).toList();
        assertThat(twice).as("notes written twice").isEmpty();
        assertThat(perMarker).as("distinct notes").hasSize(count);
        assertThat(noteCount(fake)).as("notes").isEqualTo(count);
    }

    private static int noteCount(FakePagerDuty fake) {
        return fake.allNotes().values().stream().mapToInt(List::size).sum();
    }

    /** The most calls in any window of this length. */
    private static int busiest(List<FakePagerDuty.Request> calls, Duration window) {
        long[] at = calls.stream().mapToLong(FakePagerDuty.Request::atNanos).sorted().toArray();
        int most = 0;
        int from = 0;
        for (int to = 0; to < at.length; to++) {
            while (at[to] - at[from] >= window.toNanos()) {
                from++;
            }
            most = Math.max(most, to - from + 1);
        }
        return most;
    }

    /** One test's topics, trigger file and environment. */
    private final class Setup {
        final ProcessorFixture fx = new ProcessorFixture(dir, 3);
        final String results = fx.kafka.uniqueTopic("results");
        final String resultsDlq = fx.kafka.uniqueTopic("results-dlq");
        final String requests = fx.kafka.uniqueTopic("requests");
        final String ledger = fx.kafka.uniqueTopic("ledger");
        final String prefix;

        Setup(String prefix) {
            this.prefix = prefix;
            fx.writeTrigger("scale.yaml", TRIGGER, AGENT, "incident.triggered");
            TopicCatalogue topics = new TopicCatalogue(fx.raw, fx.deadLetter, fx.agentPrefix + ".{agent}.requests",
                    results, resultsDlq, requests, ledger);
            TopicAdmin.ensureTopics(fx.kafka.admin(), NotesWriter.topicsToEnsure(topics, PARTITIONS, (short) 1),
                    Duration.ofSeconds(60));
        }

        FakePagerDuty fake() {
            String[] ids = new String[INCIDENTS];
            for (int i = 0; i < INCIDENTS; i++) {
                ids[i] = incident(i);
            }
            return FakePagerDuty.start(TOKEN).incidents(ids).enforceTokenBucket(PAGERDUTY_PER_MINUTE, BURST);
        }

        KafkaProducer<byte[], byte[]> producer() {
            return new KafkaProducer<>(fx.kafka.producerProps());
        }

        String incident(int i) {
            return prefix.toUpperCase() + "-INC-" + (i % INCIDENTS);
        }

        String requestId(int i) {
            return prefix + "-req-" + i;
        }

        void requests(KafkaProducer<byte[], byte[]> producer, int count) {
            for (int i = 0; i < count; i++) {
                producer.send(new ProducerRecord<>(requests, requestId(i).getBytes(StandardCharsets.UTF_8),
                        RequestLogRecord.toJson(requestId(i), TRIGGER, AGENT, incident(i), "ev-" + i, false, true,
                                Instant.now())));
            }
            producer.flush();
        }

        /** Result i goes to partition i % PARTITIONS; an incident's results share one partition. */
        void result(KafkaProducer<byte[], byte[]> producer, int i) {
            Map<String, Object> r = new LinkedHashMap<>();
            r.put("request_id", requestId(i));
            r.put("incident_id", incident(i));
            r.put("agent", AGENT);
            r.put("note", "answer " + i + " of the " + prefix + " test");
            try {
                producer.send(new ProducerRecord<>(results, i % PARTITIONS, incident(i).getBytes(StandardCharsets.UTF_8),
                        Json.mapper().writeValueAsBytes(r)));
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        }

        Map<String, String> env(FakePagerDuty fake, Path state, int managementPort) {
            Map<String, String> env = fx.env(state);
            env.put("MANAGEMENT_PORT", Integer.toString(managementPort));
            env.put("RESULTS_TOPIC", results);
            env.put("RESULTS_DLQ_TOPIC", resultsDlq);
            env.put("REQUEST_LOG_TOPIC", requests);
            env.put("RESULTS_LEDGER_TOPIC", ledger);
            env.put(NotesConfig.PAGERDUTY_API_URL, fake.url().toString());
            env.put(NotesConfig.PAGERDUTY_API_TOKEN, TOKEN);
            env.put(NotesConfig.PAGERDUTY_FROM_EMAIL, "scale-out@example.com");
            env.put(NotesConfig.PAGERDUTY_REQUEST_TIMEOUT_MS, "2000");
            env.put(NotesConfig.PAGERDUTY_RETRY_INITIAL_BACKOFF_MS, "100");
            env.put(NotesConfig.PAGERDUTY_RETRY_MAX_BACKOFF_MS, "1000");
            // PAGERDUTY_RATE_LIMIT_PER_MINUTE stays at its default: that is what is tested
            return env;
        }
    }

    /** Sends results at about 8 a second (under the budget) on its own thread, until stopped. */
    private static final class Feeder {
        private final Setup s;
        private final KafkaProducer<byte[], byte[]> producer;
        private final int count;
        private final Thread thread;
        private volatile int sent;
        private volatile boolean stopping;

        Feeder(Setup s, KafkaProducer<byte[], byte[]> producer, int count) {
            this.s = s;
            this.producer = producer;
            this.count = count;
            this.thread = new Thread(this::run, "scale-out-feeder");
        }

        void start() {
            thread.start();
        }

        private void run() {
            long next = System.nanoTime();
            for (int i = 0; i < count && !stopping; i++) {
                s.result(producer, i);
                producer.flush();
                sent = i + 1;
                next += TimeUnit.MILLISECONDS.toNanos(125);
                long wait = next - System.nanoTime();
                if (wait > 0) {
                    java.util.concurrent.locks.LockSupport.parkNanos(wait); // pacing the feed, not polling
                }
            }
        }

        int sent() {
            return sent;
        }

        /** Stops feeding; returns how many results were sent. */
        int stop() throws InterruptedException {
            stopping = true;
            thread.join(30_000);
            assertThat(thread.isAlive()).as("feeder stopped").isFalse();
            return sent;
        }
    }

    private Instance start(Setup s, FakePagerDuty fake, String name) throws IOException {
        int port;
        try (ServerSocket socket = new ServerSocket(0)) {
            port = socket.getLocalPort();
        }
        Path log = Path.of("target", "it-logs", "notes-scale-out-" + name + ".log");
        Files.createDirectories(log.getParent());
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        ProcessBuilder pb = new ProcessBuilder(java, "-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
                "-cp", System.getProperty("java.class.path"), ProcessorMain.class.getName());
        pb.environment().keySet().removeIf(k -> k.startsWith("KAFKA_") || k.startsWith("PAGERDUTY_")
                || k.startsWith("NOTES_"));
        pb.environment().putAll(s.env(fake, dir.resolve("state-" + name), port));
        pb.redirectErrorStream(true);
        pb.redirectOutput(log.toFile());
        LOG.info("Starting processor JVM {} (metrics on {}), log in {}", name, port, log);
        Instance i = new Instance(name, pb.start(), port);
        instances.add(i);
        return i;
    }

    /** A processor JVM and its metrics. */
    private record Instance(String name, Process process, int port) {

        /** A gauge's value, or -1 while the JVM does not answer (starting, or dead). */
        double gauge(String family) {
            return sum(family, "");
        }

        double counter(String family, String labelMatch) {
            return Math.max(0, sum(family, labelMatch));
        }

        private double sum(String family, String labelMatch) {
            String text;
            try {
                HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port
                        + "/metrics")).timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
                if (r.statusCode() != 200) {
                    return -1;
                }
                text = r.body();
            } catch (IOException e) {
                return -1;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return -1;
            }
            double total = 0;
            boolean found = false;
            for (String line : text.split("\n")) {
                if (line.startsWith(family + " ") || line.startsWith(family + "{")) {
                    String labels = line.startsWith(family + "{") ? line.substring(family.length(), line.indexOf('}') + 1)
                            : "";
                    if (labels.contains(labelMatch)) {
                        total += Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
                        found = true;
                    }
                }
            }
            return found ? total : -1;
        }
    }
}
