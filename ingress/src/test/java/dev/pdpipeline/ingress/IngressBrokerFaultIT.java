package dev.pdpipeline.ingress;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.pdpipeline.common.json.Json;
import dev.pdpipeline.common.testing.KafkaCluster;
import dev.pdpipeline.ingress.testing.Webhooks;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A steady stream of signed deliveries while brokers of a three-broker cluster (replication 3,
 * {@code min.insync.replicas} 2) fail: one stops and returns, then two stop at once and return.
 *
 * <p>What is asserted: (1) no answer but 202 and 503; (2) while two brokers are down, every
 * request sent after both stopped and answered before they were started again gets 503, never
 * 202; (3) the sender retries every 503 like PagerDuty until it gets 202; afterwards every event
 * id is on the raw topic at least once (nothing lost); (4) an event answered 202 at its first try
 * is there exactly once; one that got 503s before its 202 is there at most once per attempt (a
 * record Kafka stored after the ingress gave up waiting is a duplicate the processor drops).
 */
@Tag("slow")
class IngressBrokerFaultIT {

    private static final Logger LOG = LoggerFactory.getLogger(IngressBrokerFaultIT.class);
    private static final String SECRET = "fault-secret";
    private static final String TOPIC = "fault-raw";

    @TempDir
    Path triggers;

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private final Map<String, List<Attempt>> attempts = new LinkedHashMap<>();
    private final ArrayDeque<String> retries = new ArrayDeque<>();
    private final AtomicLong next = new AtomicLong();
    private final AtomicBoolean newEvents = new AtomicBoolean(true);
    private volatile boolean running = true;

    /** One HTTP attempt: when it was sent and answered (nanoTime), and the status (-1: no answer). */
    private record Attempt(long sentAt, long answeredAt, int status) {
    }

    @Test
    void acknowledgedDeliveriesSurviveBrokerFailuresAnd503WhileWritesCannotBeDurable() throws Exception {
        try (KafkaCluster cluster = KafkaCluster.start(3)) {
            Webhooks.writeTrigger(triggers, "fault", "FAULT_SECRET");
            Map<String, String> env = new HashMap<>();
            env.put("TRIGGERS_PATH", triggers.toString());
            env.put("INGRESS_HOST", "127.0.0.1");
            env.put("INGRESS_PORT", "0");
            env.put("MANAGEMENT_PORT", "0");
            env.put("PUBLISH_TIMEOUT_MS", "1500");
            env.put("READINESS_CHECK_INTERVAL_MS", "300");
            env.put("RAW_TOPIC", TOPIC);
            env.put("RAW_TOPIC_PARTITIONS", "3");
            env.put("RAW_TOPIC_REPLICATION", "3");
            env.put("KAFKA_BOOTSTRAP_SERVERS", cluster.bootstrapServers());
            env.put("KAFKA_RECONNECT_BACKOFF_MAX_MS", "500");
            env.put("FAULT_SECRET", SECRET);
            try (IngressService service = IngressService.start(IngressConfig.fromEnv(env), new SimpleMeterRegistry())) {
                await().atMost(Duration.ofSeconds(60)).until(service::isReady);
                cluster.awaitFullyReplicated(TOPIC, Duration.ofSeconds(60));
                Thread sender = new Thread(() -> send(service.port()), "fault-sender");
                sender.start();
                List<Integer> ids = cluster.brokerIds();
                long windowStart;
                long windowEnd;
                try {
                    trafficFor(Duration.ofSeconds(3));
                    cluster.stopBroker(ids.get(0));
                    trafficFor(Duration.ofSeconds(4));
                    cluster.startBroker(ids.get(0));
                    cluster.awaitFullyReplicated(TOPIC, Duration.ofSeconds(90));
                    trafficFor(Duration.ofSeconds(2));

                    cluster.stopBroker(ids.get(0));
                    cluster.stopBroker(ids.get(1));
                    windowStart = System.nanoTime();
                    trafficFor(Duration.ofSeconds(5));
                    windowEnd = System.nanoTime();
                    cluster.startBroker(ids.get(0));
                    cluster.startBroker(ids.get(1));
                    long restored = System.nanoTime();
                    await().atMost(Duration.ofSeconds(90)).until(() -> accepted202After(restored));
                    trafficFor(Duration.ofSeconds(2));
                    newEvents.set(false);
                    await().atMost(Duration.ofSeconds(90)).until(this::allAccepted);
                } finally {
                    running = false;
                    sender.join(TimeUnit.SECONDS.toMillis(30));
                }
                cluster.awaitFullyReplicated(TOPIC, Duration.ofSeconds(90));
                verify(readRaw(cluster.bootstrapServers()), windowStart, windowEnd);
            }
        }
    }

    private void verify(Map<String, Integer> stored, long windowStart, long windowEnd) {
        int requests = 0;
        int ok = 0;
        int unavailable = 0;
        int firstTry = 0;
        int retried = 0;
        int duplicates = 0;
        int inWindow = 0;
        List<String> problems = new ArrayList<>();
        synchronized (attempts) {
            for (Map.Entry<String, List<Attempt>> e : attempts.entrySet()) {
                List<Attempt> list = e.getValue();
                int copies = stored.getOrDefault(e.getKey(), 0);
                requests += list.size();
                for (Attempt a : list) {
                    if (a.status() == 202) {
                        ok++;
                    } else if (a.status() == 503 || a.status() == -1) {
                        unavailable++;
                    } else {
                        problems.add(e.getKey() + " answered " + a.status());
                    }
                    if (a.sentAt() >= windowStart && a.answeredAt() <= windowEnd) {
                        inWindow++;
                        if (a.status() == 202) {
                            problems.add(e.getKey() + " answered 202 while two of three brokers were down");
                        }
                    }
                }
                boolean accepted = list.stream().anyMatch(a -> a.status() == 202);
                if (!accepted) {
                    problems.add(e.getKey() + " never accepted");
                } else if (copies == 0) {
                    problems.add(e.getKey() + " acknowledged but LOST");
                } else if (list.size() == 1 && copies != 1) {
                    problems.add(e.getKey() + " accepted at first try but stored " + copies + " times");
                } else if (copies > list.size()) {
                    problems.add(e.getKey() + " stored " + copies + " times for " + list.size() + " attempts");
                }
                if (list.size() == 1) {
                    firstTry++;
                } else {
                    retried++;
                }
                duplicates += Math.max(0, copies - 1);
            }
        }
        LOG.info("Fault run: {} events, {} requests, {} answered 202, {} answered 503 (or no answer), {} accepted at "
                        + "first try, {} after retries, {} requests while two brokers were down, {} duplicate records,"
                        + " {} records on the raw topic, {} lost", attempts.size(), requests, ok, unavailable,
                firstTry, retried, inWindow, duplicates, stored.values().stream().mapToInt(Integer::intValue).sum(),
                problems.stream().filter(p -> p.endsWith("LOST")).count());
        assertThat(problems).isEmpty();
        assertThat(inWindow).as("requests answered while two brokers were down").isGreaterThan(0);
        assertThat(unavailable).as("503s").isGreaterThan(0);
        assertThat(attempts.size()).as("events").isGreaterThan(50);
        assertThat(stored.keySet()).as("nothing on the raw topic that was never sent").isSubsetOf(attempts.keySet());
    }

    /** The sender: a new event every ~20 ms, 503'd events again after 300 ms, like PagerDuty would. */
    private void send(int port) {
        Map<String, Long> retryAt = new HashMap<>();
        while (running) {
            String id = null;
            String head = retries.peek();
            if (head != null && retryAt.get(head) <= System.nanoTime()) {
                id = retries.poll();
            } else if (newEvents.get()) {
                id = "fault-" + next.incrementAndGet();
            } else {
                sleepQuietly(20);
                continue;
            }
            long sent = System.nanoTime();
            int status = post(port, id);
            Attempt attempt = new Attempt(sent, System.nanoTime(), status);
            synchronized (attempts) {
                attempts.computeIfAbsent(id, k -> new ArrayList<>()).add(attempt);
            }
            if (status != 202) {
                retries.add(id);
                retryAt.put(id, System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(300));
            }
            sleepQuietly(20);
        }
    }

    private int post(int port, String eventId) {
        byte[] body = ("{\"event\":{\"id\":\"" + eventId + "\",\"event_type\":\"incident.triggered\","
                + "\"resource_type\":\"incident\",\"occurred_at\":\"2025-03-04T10:15:30Z\",\"data\":{\"id\":\"PINC"
                + (eventId.hashCode() & 7) + "\",\"type\":\"incident\"}}}").getBytes(StandardCharsets.UTF_8);
        try {
            HttpResponse<Void> response = http.send(HttpRequest.newBuilder(
                            URI.create("http://127.0.0.1:" + port + "/webhooks/pagerduty"))
                    .timeout(Duration.ofSeconds(10))
                    .header("X-PagerDuty-Signature", Webhooks.sign(SECRET, body))
                    .header("X-Webhook-Id", eventId)
                    .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build(), HttpResponse.BodyHandlers.discarding());
            return response.statusCode();
        } catch (Exception e) {
            return -1;
        }
    }

    private boolean accepted202After(long nanos) {
        synchronized (attempts) {
            return attempts.values().stream().flatMap(List::stream)
                    .anyMatch(a -> a.sentAt() >= nanos && a.status() == 202);
        }
    }

    private boolean allAccepted() {
        synchronized (attempts) {
            return attempts.values().stream().allMatch(l -> l.stream().anyMatch(a -> a.status() == 202));
        }
    }

    /** Lets the sender run for {@code d}; the test thread only waits. */
    private static void trafficFor(Duration d) {
        long until = System.nanoTime() + d.toNanos();
        await().atMost(d.plusSeconds(5)).pollInterval(Duration.ofMillis(100)).until(() -> System.nanoTime() >= until);
    }

    private static void sleepQuietly(long millis) {
        try {
            TimeUnit.MILLISECONDS.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Every record of the raw topic, counted by event id. */
    private static Map<String, Integer> readRaw(String bootstrap) throws Exception {
        Properties props = new Properties();
        props.put("bootstrap.servers", bootstrap);
        Map<String, Integer> counts = new HashMap<>();
        try (KafkaConsumer<byte[], byte[]> consumer =
                new KafkaConsumer<>(props, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            List<TopicPartition> partitions = consumer.partitionsFor(TOPIC, Duration.ofSeconds(30)).stream()
                    .map(p -> new TopicPartition(TOPIC, p.partition())).toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            Map<TopicPartition, Long> end = consumer.endOffsets(partitions, Duration.ofSeconds(30));
            await().atMost(Duration.ofSeconds(60)).until(() -> {
                for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                    String id = Json.mapper().readTree(r.value()).path("event").path("id").asText();
                    counts.merge(id, 1, Integer::sum);
                }
                return partitions.stream().allMatch(tp -> consumer.position(tp) >= end.get(tp));
            });
        }
        return counts;
    }
}
