package dev.pdpipeline.ingress;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.pdpipeline.common.json.Json;
import dev.pdpipeline.ingress.testing.BrokerProcesses;
import dev.pdpipeline.ingress.testing.Webhooks;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.TopicPartitionInfo;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One broker of three (separate JVMs, RF 3, {@code min.insync.replicas} 2) SIGKILLed under a
 * steady load of signed deliveries. Its partitions have a dead leader until the controller fences
 * it ({@code broker.session.timeout.ms}, 10 s here) and elects another; the deliveries keyed to
 * them wait (bounded by {@code PUBLISH_TIMEOUT_MS}) or get 503. The other partitions pause only
 * until their leaders drop the dead follower from the ISR ({@code replica.lag.time.max.ms}, 2 s
 * here: {@code acks=all} waits for the whole ISR), then every delivery for them gets 202 again:
 * the longest time without any 202 stays well under the session timeout, the ingress stays ready
 * throughout, and every delivery answered 202 is on the raw topic.
 */
@Tag("slow")
class IngressPartialBrokerLossIT {

    private static final Logger LOG = LoggerFactory.getLogger(IngressPartialBrokerLossIT.class);
    private static final String SECRET = "partial-loss-secret";
    private static final String TOPIC = "partial-raw";
    private static final Duration SESSION_TIMEOUT = Duration.ofSeconds(10);
    /** Kafka's own bound for partitions that kept their leader: acks=all waits until the dead follower leaves the ISR. */
    private static final Duration REPLICA_LAG = Duration.ofSeconds(2);

    @TempDir
    Path dir;

    /** One delivery: sent and answered (nanoTime), status (-1: no answer) and the partition of a 202. */
    private record Answer(String eventId, long sentAt, long answeredAt, int status, int partition) {
    }

    @Test
    void deliveriesForPartitionsThatKeptALeaderKeepGetting202WhileOneBrokerIsKilled() throws Exception {
        try (BrokerProcesses cluster = BrokerProcesses.start(dir.resolve("kafka"), 3, SESSION_TIMEOUT, REPLICA_LAG,
                "partial-loss")) {
            try (Admin admin = cluster.admin()) {
                admin.createTopics(List.of(new NewTopic(TOPIC, 6, (short) 3)
                        .configs(Map.of("min.insync.replicas", "2")))).all().get(60, TimeUnit.SECONDS);
            }
            Webhooks.writeTrigger(dir, "partial", "PARTIAL_SECRET");
            Map<String, String> env = new HashMap<>();
            env.put("TRIGGERS_PATH", dir.resolve("partial.yaml").toString());
            env.put("INGRESS_HOST", "127.0.0.1");
            env.put("INGRESS_PORT", "0");
            env.put("MANAGEMENT_PORT", "0");
            env.put("PUBLISH_TIMEOUT_MS", "2000");
            env.put("READINESS_CHECK_INTERVAL_MS", "300");
            env.put("RAW_TOPIC", TOPIC);
            env.put("KAFKA_BOOTSTRAP_SERVERS", cluster.bootstrapServers());
            env.put("KAFKA_RECONNECT_BACKOFF_MAX_MS", "500");
            env.put("PARTIAL_SECRET", SECRET);
            // the load stands for many PagerDuty senders; from one test address it would hit the per-address bound
            env.put("INGRESS_MAX_CONNECTIONS_PER_ADDRESS", "0");
            try (IngressService service = IngressService.start(IngressConfig.fromEnv(env), new SimpleMeterRegistry())) {
                await().atMost(Duration.ofSeconds(60)).until(service::isReady);
                run(cluster, service);
            }
        }
    }

    private void run(BrokerProcesses cluster, IngressService service) throws Exception {
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
        ConcurrentLinkedQueue<Answer> answers = new ConcurrentLinkedQueue<>();
        AtomicInteger next = new AtomicInteger();
        AtomicInteger unreadySamples = new AtomicInteger();
        AtomicLong killedAt = new AtomicLong(Long.MAX_VALUE);
        ScheduledExecutorService load = Executors.newScheduledThreadPool(2);
        // 50 deliveries/s, each on its own incident so that they spread over all partitions
        load.scheduleAtFixedRate(() -> {
            String id = "loss-" + next.incrementAndGet();
            if (System.nanoTime() > killedAt.get() && !service.isReady()) {
                unreadySamples.incrementAndGet();
            }
            byte[] body = ("{\"event\":{\"id\":\"" + id + "\",\"event_type\":\"incident.triggered\",\"resource_type\":"
                    + "\"incident\",\"data\":{\"id\":\"PINC-" + id + "\",\"type\":\"incident\"}}}")
                    .getBytes(StandardCharsets.UTF_8);
            long sent = System.nanoTime();
            http.sendAsync(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + service.port()
                                    + "/webhooks/pagerduty"))
                            .timeout(Duration.ofSeconds(10))
                            .header("X-PagerDuty-Signature", Webhooks.sign(SECRET, body))
                            .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build(),
                    HttpResponse.BodyHandlers.ofString())
                    .whenComplete((response, failure) -> answers.add(new Answer(id, sent, System.nanoTime(),
                            failure == null ? response.statusCode() : -1,
                            failure == null ? partition(response) : -1)));
        }, 0, 20, TimeUnit.MILLISECONDS);

        int victim;
        Set<Integer> victimPartitions = new HashSet<>();
        try {
            await().atMost(Duration.ofSeconds(120)).until(() -> answers.stream().filter(a -> a.status() == 202).count()
                    >= 200);
            try (Admin admin = cluster.admin()) {
                TopicDescription d = admin.describeTopics(List.of(TOPIC)).allTopicNames().get(30, TimeUnit.SECONDS)
                        .get(TOPIC);
                Map<Integer, Integer> leaders = new TreeMap<>();
                d.partitions().forEach(p -> leaders.merge(p.leader().id(), 1, Integer::sum));
                victim = leaders.entrySet().stream().max(Map.Entry.comparingByValue()).orElseThrow().getKey();
                for (TopicPartitionInfo p : d.partitions()) {
                    if (p.leader().id() == victim) {
                        victimPartitions.add(p.partition());
                    }
                }
            }
            killedAt.set(System.nanoTime());
            cluster.kill(victim);
            long until = System.nanoTime() + SESSION_TIMEOUT.multipliedBy(2).plusSeconds(4).toNanos();
            await().atMost(SESSION_TIMEOUT.multipliedBy(3).plusSeconds(20)).pollInterval(Duration.ofMillis(200))
                    .until(() -> System.nanoTime() >= until);
        } finally {
            load.shutdown();
            load.awaitTermination(10, TimeUnit.SECONDS);
        }
        int sent = next.get();
        await().atMost(Duration.ofSeconds(30)).until(() -> answers.size() >= sent);

        List<Answer> all = new ArrayList<>(answers);
        all.sort(java.util.Comparator.comparingLong(Answer::answeredAt));
        long kill = killedAt.get();
        long longestGap = 0;
        long previous = kill - TimeUnit.SECONDS.toNanos(1);
        Map<Integer, Integer> okAfterKillByPartition = new TreeMap<>();
        Map<Integer, Integer> statuses = new TreeMap<>();
        for (Answer a : all) {
            statuses.merge(a.status(), 1, Integer::sum);
            if (a.status() != 202 || a.answeredAt() < previous) {
                continue;
            }
            longestGap = Math.max(longestGap, a.answeredAt() - previous);
            previous = a.answeredAt();
            if (a.sentAt() >= kill && a.answeredAt() <= kill + SESSION_TIMEOUT.toNanos()) {
                okAfterKillByPartition.merge(a.partition(), 1, Integer::sum);
            }
        }
        Set<String> acknowledged = new HashSet<>();
        all.stream().filter(a -> a.status() == 202).forEach(a -> acknowledged.add(a.eventId()));
        Set<String> stored = readRaw(cluster.bootstrapServers());
        Set<String> lost = new HashSet<>(acknowledged);
        lost.removeAll(stored);
        long longestGapMs = TimeUnit.NANOSECONDS.toMillis(longestGap);
        LOG.info("Partial broker loss: killed broker {} (leader of partitions {}); {} deliveries, answers {}; "
                        + "longest time without a 202 from 1 s before the kill: {} ms (session timeout {} ms); 202s "
                        + "within the session timeout after the kill, by partition: {}; unready samples after the "
                        + "kill: {}; acknowledged {}, lost {}", victim, victimPartitions, all.size(), statuses,
                longestGapMs, SESSION_TIMEOUT.toMillis(), okAfterKillByPartition, unreadySamples.get(),
                acknowledged.size(), lost.size());

        assertThat(lost).as("acknowledged but not on the raw topic").isEmpty();
        // -1: no answer within the client's 10 s (the test machine's CPU is shared); PagerDuty retries those too
        assertThat(statuses.keySet()).as("statuses").isSubsetOf(202, 503, -1);
        assertThat(longestGapMs).as("longest time without any 202 (ms)")
                .isLessThan(SESSION_TIMEOUT.toMillis() / 2);
        assertThat(unreadySamples.get()).as("samples where the ingress was unready after the kill").isZero();
        Set<Integer> survivors = new HashSet<>(List.of(0, 1, 2, 3, 4, 5));
        survivors.removeAll(victimPartitions);
        assertThat(okAfterKillByPartition.keySet()).as("partitions whose leader survived kept getting 202")
                .containsAll(survivors);
    }

    private static int partition(HttpResponse<String> response) {
        if (response.statusCode() != 202) {
            return -1;
        }
        try {
            JsonNode body = Json.mapper().readTree(response.body());
            return body.path("partition").asInt(-1);
        } catch (Exception e) {
            return -1;
        }
    }

    private static Set<String> readRaw(String bootstrap) {
        Properties props = new Properties();
        props.put("bootstrap.servers", bootstrap);
        Set<String> ids = new HashSet<>();
        try (KafkaConsumer<byte[], byte[]> consumer =
                new KafkaConsumer<>(props, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            List<TopicPartition> partitions = consumer.partitionsFor(TOPIC, Duration.ofSeconds(30)).stream()
                    .map(p -> new TopicPartition(TOPIC, p.partition())).toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            Map<TopicPartition, Long> end = consumer.endOffsets(partitions, Duration.ofSeconds(60));
            await().atMost(Duration.ofSeconds(90)).until(() -> {
                for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                    ids.add(Json.mapper().readTree(r.value()).path("event").path("id").asText());
                }
                return partitions.stream().allMatch(tp -> consumer.position(tp) >= end.get(tp));
            });
        }
        return ids;
    }
}
