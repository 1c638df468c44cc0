package dev.pdpipeline.bench.kafka;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.pdpipeline.bench.process.ChildJvm;
import dev.pdpipeline.common.json.Json;
import dev.pdpipeline.common.kafka.EmbeddedKafka;
import dev.pdpipeline.common.kafka.TopicAdmin;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * The broker a benchmark runs against. By default a single-node KRaft broker in a JVM of its own
 * ({@link BrokerMain}, {@code -Xmx1g}): an in-process broker shares the heap, the GC and the JIT
 * with the subject and hides where time goes. Also an existing broker ({@code --bootstrap}), or
 * the old in-process {@link EmbeddedKafka} ({@code --broker in-process}). Topic names carry a run
 * id, so that several scenarios (and the smoke test) can share one broker without seeing each
 * other's records. Every result's JSON says which broker ran ({@link #lastRun()}).
 */
public final class BenchKafka implements AutoCloseable {

    /** Where the broker runs. */
    public enum Mode {
        /** A JVM of its own, started and stopped by the benchmark (the default). */
        CHILD("child-jvm"),
        /** The benchmark's own JVM. */
        IN_PROCESS("in-process"),
        /** An existing broker ({@code --bootstrap}). */
        EXTERNAL("external");

        private final String label;

        Mode(String label) {
            this.label = label;
        }

        public String label() {
            return label;
        }

        /** {@code child}/{@code child-jvm}, {@code in-process}/{@code embedded}. */
        public static Mode parse(String text) {
            String t = text.trim().toLowerCase(Locale.ROOT);
            switch (t) {
                case "child", "child-jvm", "jvm":
                    return CHILD;
                case "in-process", "inprocess", "embedded":
                    return IN_PROCESS;
                default:
                    throw new IllegalArgumentException("unknown broker mode '" + text
                            + "'; use child (a JVM of its own) or in-process (use --bootstrap for an existing broker)");
            }
        }
    }

    /** The broker heap of the child JVM unless {@code --broker-heap} says otherwise. */
    public static final String DEFAULT_HEAP = "1g";

    private static volatile Mode defaultMode = Mode.CHILD;
    private static volatile String defaultHeap = DEFAULT_HEAP;
    private static volatile String defaultJvmOptions = "";
    private static volatile ObjectNode lastRun;

    private final Mode mode;
    private final EmbeddedKafka embedded;
    private final ChildJvm child;
    private final Path childData;
    private final String heap;
    private final String bootstrap;
    private final Admin admin;
    private final ObjectNode run = Json.mapper().createObjectNode();
    private final String runId = UUID.randomUUID().toString().substring(0, 8);
    private final AtomicInteger names = new AtomicInteger();

    private BenchKafka(Mode mode, EmbeddedKafka embedded, ChildJvm child, Path childData, String heap,
            String bootstrap) {
        this.mode = mode;
        this.embedded = embedded;
        this.child = child;
        this.childData = childData;
        this.heap = heap;
        this.bootstrap = bootstrap;
        Properties props = new Properties();
        props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        this.admin = Admin.create(props);
        run.put("mode", mode.label());
        run.put("startedAt", java.time.Instant.now().toString());
        run.put("bootstrap", bootstrap);
        if (child != null) {
            run.put("heap", heap);
            run.put("pid", child.pid());
        }
        lastRun = run;
    }

    /**
     * The defaults of {@link #start(String)} for this JVM (the scenarios' {@code --broker},
     * {@code --broker-heap} and {@code --broker-jvm-options} set them).
     */
    public static void defaults(Mode mode, String heap, String jvmOptions) {
        if (mode != null) {
            defaultMode = mode;
        }
        if (heap != null && !heap.isBlank()) {
            defaultHeap = heap.trim();
        }
        if (jvmOptions != null) {
            defaultJvmOptions = jvmOptions;
        }
    }

    /**
     * Uses the broker at {@code bootstrap} when it is given; otherwise starts one the default way
     * (a child JVM, unless {@link #defaults} said in-process).
     */
    public static BenchKafka start(String bootstrap) {
        return start(bootstrap, defaultMode, defaultHeap);
    }

    /** Uses {@code bootstrap} when given, else starts a broker in {@code mode} (child heap {@code heap}). */
    public static BenchKafka start(String bootstrap, Mode mode, String heap) {
        if (bootstrap != null && !bootstrap.isBlank()) {
            return new BenchKafka(Mode.EXTERNAL, null, null, null, null, bootstrap.trim());
        }
        if (mode == Mode.IN_PROCESS) {
            EmbeddedKafka kafka = EmbeddedKafka.builder().port(0).start();
            return new BenchKafka(Mode.IN_PROCESS, kafka, null, null, null, kafka.bootstrapServers());
        }
        String childHeap = heap == null || heap.isBlank() ? DEFAULT_HEAP : heap.trim();
        Path data;
        try {
            data = Files.createTempDirectory("bench-broker-");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create the broker's data dir", e);
        }
        ChildJvm jvm = ChildJvm.builder("broker").heap(childHeap).jvmOptions(defaultJvmOptions)
                .env("LOG_LEVEL", "WARN")
                .main(BrokerMain.class.getName(), data.resolve("kafka").toString())
                .log(data.resolve("broker.log")).start();
        try {
            String address = jvm.awaitLine(BrokerMain.READY_PREFIX, Duration.ofSeconds(120));
            return new BenchKafka(Mode.CHILD, null, jvm, data, childHeap, address);
        } catch (RuntimeException e) {
            jvm.close();
            deleteQuietly(data);
            throw e;
        }
    }

    /** What the last broker started in this JVM was (mode, bootstrap, heap, pid, RSS at close), or null. */
    public static ObjectNode lastRun() {
        return lastRun;
    }

    public String bootstrapServers() {
        return bootstrap;
    }

    /** In this JVM (the in-process mode). */
    public boolean isEmbedded() {
        return embedded != null;
    }

    public Mode mode() {
        return mode;
    }

    /** Short text for a result's parameters: {@code child-jvm (-Xmx1g)}, {@code in-process}, {@code external host:port}. */
    public String describe() {
        return switch (mode) {
            case CHILD -> "child-jvm (-Xmx" + heap + ")";
            case IN_PROCESS -> "in-process (same JVM)";
            case EXTERNAL -> "external " + bootstrap;
        };
    }

    /** RSS of the broker's own JVM in KiB, or -1 when it is not a child of this benchmark. */
    public long brokerRssKb() {
        return child == null ? -1 : child.rssKb();
    }

    /** CPU time of the broker's own JVM so far in ns, or -1 when it is not a child of this benchmark. */
    public long brokerCpuNanos() {
        return child == null ? -1 : child.cpuNanos();
    }

    public Admin admin() {
        return admin;
    }

    /** A topic (or group, application id) name unique to this run. */
    public String unique(String base) {
        return "bench." + base + "." + runId + "-" + names.incrementAndGet();
    }

    /** Creates the topics (and waits until they answer). */
    public void createTopics(int partitions, String... topics) {
        List<NewTopic> list = new ArrayList<>();
        for (String t : topics) {
            list.add(new NewTopic(t, partitions, (short) 1));
        }
        TopicAdmin.ensureTopics(admin, list, Duration.ofSeconds(60));
    }

    /** A read_committed consumer, assigned to every partition of the topics (no group). */
    public KafkaConsumer<byte[], byte[]> committedReader(List<String> topics, boolean fromEnd) {
        Properties props = new Properties();
        props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        props.put(ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, "20");
        props.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, "2000");
        KafkaConsumer<byte[], byte[]> consumer =
                new KafkaConsumer<>(props, new ByteArrayDeserializer(), new ByteArrayDeserializer());
        List<TopicPartition> partitions = new ArrayList<>();
        for (String topic : topics) {
            for (PartitionInfo p : consumer.partitionsFor(topic, Duration.ofSeconds(30))) {
                partitions.add(new TopicPartition(topic, p.partition()));
            }
        }
        consumer.assign(partitions);
        if (fromEnd) {
            consumer.seekToEnd(partitions);
            partitions.forEach(consumer::position); // resolve now, not at the first poll
        } else {
            consumer.seekToBeginning(partitions);
        }
        return consumer;
    }

    /** The common client settings of benchmark components ({@code KAFKA_BOOTSTRAP_SERVERS}). */
    public Map<String, String> clientEnv() {
        return Map.of("KAFKA_BOOTSTRAP_SERVERS", bootstrap);
    }

    @Override
    public void close() {
        admin.close(Duration.ofSeconds(5));
        if (embedded != null) {
            embedded.close();
        }
        if (child != null) {
            run.put("rssKbAtClose", child.rssKb());
            run.put("peakRssKb", child.peakRssKb());
            long cpu = child.cpuNanos();
            if (cpu >= 0) {
                run.put("cpuSeconds", Math.round(cpu / 1e6) / 1000.0);
            }
            child.close();
            deleteQuietly(childData);
        }
    }

    private static void deleteQuietly(Path dir) {
        if (dir == null || !Files.exists(dir)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(dir)) {
            paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException | RuntimeException e) {
            // temporary data; the OS cleans /tmp eventually
        }
    }
}
