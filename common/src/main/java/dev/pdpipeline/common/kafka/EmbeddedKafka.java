package dev.pdpipeline.common.kafka;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Stream;

import kafka.server.KafkaConfig;
import kafka.server.KafkaRaftServer;
import kafka.tools.StorageTool;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.utils.Time;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A single-node Kafka (KRaft, combined broker and controller) inside this JVM, for the local
 * all-in-one run and for integration tests when no Docker engine is available. Configured so
 * that everything the pipeline relies on works on one node: transactions (exactly-once),
 * consumer groups, and 30-day retention so that replay from the raw topic works.
 *
 * <p>Needs {@code org.apache.kafka:kafka_2.13} on the class path (an optional dependency of
 * {@code common}). The broker logs through SLF4J under the logger names {@code kafka},
 * {@code org.apache.kafka} and {@code state.change.logger}; set those to WARN to keep it quiet.
 */
public final class EmbeddedKafka implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(EmbeddedKafka.class);

    /** How long {@link Builder#start()} waits for the broker to answer a client. */
    public static final Duration START_TIMEOUT = Duration.ofSeconds(60);

    /** Sub-directory of the data dir that holds the broker's log dir (and meta.properties). */
    static final String LOG_DIR_NAME = "kraft-logs";
    private static final String CONFIG_FILE_NAME = "server.properties";
    private static final int NODE_ID = 1;

    private final KafkaRaftServer server;
    private final String host;
    private final int port;
    private final Path dataDir;
    private final boolean tempDataDir;
    private final AtomicBoolean closed = new AtomicBoolean();

    private EmbeddedKafka(KafkaRaftServer server, String host, int port, Path dataDir, boolean tempDataDir) {
        this.server = server;
        this.host = host;
        this.port = port;
        this.dataDir = dataDir;
        this.tempDataDir = tempDataDir;
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Broker settings that make a single node behave like a cluster for our purposes. */
    public static Map<String, String> singleNodeDefaults() {
        Map<String, String> d = new LinkedHashMap<>();
        // Without these three, initTransactions() times out and group consumers get nothing.
        d.put("offsets.topic.replication.factor", "1");
        d.put("offsets.topic.num.partitions", "3");
        d.put("transaction.state.log.replication.factor", "1");
        d.put("transaction.state.log.min.isr", "1");
        d.put("transaction.state.log.num.partitions", "3");
        d.put("share.coordinator.state.topic.replication.factor", "1");
        d.put("share.coordinator.state.topic.min.isr", "1");
        // Saves 3 s on every first rebalance.
        d.put("group.initial.rebalance.delay.ms", "0");
        // Topics are created deliberately (TopicAdmin), never by a typo in a client.
        d.put("auto.create.topics.enable", "false");
        d.put("num.partitions", "3");
        d.put("default.replication.factor", "1");
        d.put("min.insync.replicas", "1");
        // Replay from the raw topic depends on history being kept.
        d.put("log.retention.hours", "720");
        // The default 128 MiB cleaner buffer is far more than a local node needs.
        d.put("log.cleaner.dedupe.buffer.size", String.valueOf(8 * 1024 * 1024));
        return d;
    }

    /** {@code host:port} of the client listener. */
    public String bootstrapServers() {
        return host + ":" + port;
    }

    /** The client listener port (useful when it was chosen freely). */
    public int port() {
        return port;
    }

    /** Where the broker keeps its data. */
    public Path dataDir() {
        return dataDir;
    }

    /** Stops the broker, waits for it to finish, and deletes the data dir if it was temporary. */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        long startNanos = System.nanoTime();
        try {
            server.shutdown();
            server.awaitShutdown();
        } finally {
            if (tempDataDir) {
                deleteRecursively(dataDir);
            }
        }
        log.info("Embedded Kafka at {} stopped in {} ms", bootstrapServers(),
                TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNanos));
    }

    @Override
    public String toString() {
        return "EmbeddedKafka[" + bootstrapServers() + ", dataDir=" + dataDir + "]";
    }

    /** Settings of an {@link EmbeddedKafka}; {@link #start()} starts it. */
    public static final class Builder {
        private String host = "localhost";
        private int port;
        private Path dataDir;
        private final Map<String, String> overrides = new LinkedHashMap<>();

        private Builder() {
        }

        /** Host name of both listeners and the advertised address; default {@code localhost}. */
        public Builder host(String host) {
            Objects.requireNonNull(host, "host");
            if (host.isBlank()) {
                throw new IllegalArgumentException("host must not be blank");
            }
            this.host = host.trim();
            return this;
        }

        /** Client listener port; 0 (the default) picks a free port. */
        public Builder port(int port) {
            if (port < 0 || port > 65535) {
                throw new IllegalArgumentException("port must be 0..65535, was " + port);
            }
            this.port = port;
            return this;
        }

        /**
         * Where the broker keeps its data. {@code null} (the default) is a temporary directory
         * deleted on close. A given directory is kept and reused, so history survives a restart.
         */
        public Builder dataDir(Path dir) {
            this.dataDir = dir;
            return this;
        }

        /** Overrides one broker property (applied after the single-node defaults). */
        public Builder brokerProperty(String key, String value) {
            Objects.requireNonNull(key, "key");
            Objects.requireNonNull(value, "value");
            overrides.put(key, value);
            return this;
        }

        /**
         * Starts the broker and blocks until a client can reach it (at most
         * {@link #START_TIMEOUT}).
         *
         * @throws IllegalStateException when it does not start or does not answer in time
         */
        public EmbeddedKafka start() {
            long startNanos = System.nanoTime();
            boolean temp = dataDir == null;
            Path dir;
            try {
                dir = temp ? Files.createTempDirectory("pdpipeline-kafka-") : Files.createDirectories(dataDir);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot create the Kafka data dir " + dataDir, e);
            }
            KafkaRaftServer server = null;
            int clientPort = port == 0 ? freePort(host) : port;
            try {
                int controllerPort = freePort(host);
                Path logDir = dir.resolve(LOG_DIR_NAME);
                Files.createDirectories(logDir);
                Properties props = brokerProperties(clientPort, controllerPort, logDir);
                Path config = dir.resolve(CONFIG_FILE_NAME);
                try (OutputStream out = Files.newOutputStream(config)) {
                    props.store(out, "written by EmbeddedKafka; rewritten on every start");
                }
                if (!Files.exists(logDir.resolve("meta.properties"))) {
                    format(config);
                } else {
                    log.info("Embedded Kafka reuses the existing data in {}", logDir);
                }
                server = new KafkaRaftServer(KafkaConfig.fromProps(props, false), Time.SYSTEM);
                server.startup();
                EmbeddedKafka kafka = new EmbeddedKafka(server, host, clientPort, dir, temp);
                awaitReachable(kafka.bootstrapServers(), startNanos);
                log.info("Embedded Kafka {} started at {} (data in {}) in {} ms", kafkaVersion(),
                        kafka.bootstrapServers(), dir, TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNanos));
                return kafka;
            } catch (RuntimeException | IOException | Error e) {
                if (server != null) {
                    try {
                        server.shutdown();
                        server.awaitShutdown();
                    } catch (RuntimeException suppressed) {
                        e.addSuppressed(suppressed);
                    }
                }
                if (temp) {
                    deleteRecursively(dir);
                }
                if (e instanceof IllegalStateException ise) {
                    throw ise;
                }
                if (e instanceof Error error) {
                    throw error;
                }
                throw new IllegalStateException("Embedded Kafka did not start on " + host + ":" + clientPort
                        + " (data dir " + dir + "): " + e, e);
            }
        }

        private Properties brokerProperties(int clientPort, int controllerPort, Path logDir) {
            Properties props = new Properties();
            singleNodeDefaults().forEach(props::setProperty);
            props.setProperty("process.roles", "broker,controller");
            props.setProperty("node.id", String.valueOf(NODE_ID));
            // Static voters: a kept data dir restarts fine even when the controller port changes.
            props.setProperty("controller.quorum.voters", NODE_ID + "@" + host + ":" + controllerPort);
            props.setProperty("listeners", "PLAINTEXT://" + host + ":" + clientPort
                    + ",CONTROLLER://" + host + ":" + controllerPort);
            props.setProperty("advertised.listeners", "PLAINTEXT://" + host + ":" + clientPort);
            props.setProperty("listener.security.protocol.map", "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT");
            props.setProperty("controller.listener.names", "CONTROLLER");
            props.setProperty("inter.broker.listener.name", "PLAINTEXT");
            props.setProperty("log.dirs", logDir.toAbsolutePath().toString());
            overrides.forEach(props::setProperty);
            return props;
        }

        private static void format(Path config) {
            ByteArrayOutputStream buffer = new ByteArrayOutputStream();
            String clusterId = Uuid.randomUuid().toString();
            int rc;
            try (PrintStream out = new PrintStream(buffer, true, StandardCharsets.UTF_8)) {
                rc = StorageTool.execute(new String[] {"format", "-t", clusterId, "-c", config.toString()}, out);
            } catch (RuntimeException e) {
                throw new IllegalStateException("formatting the Kafka storage with " + config + " failed: "
                        + e.getMessage() + " " + buffer.toString(StandardCharsets.UTF_8).trim(), e);
            }
            if (rc != 0) {
                throw new IllegalStateException("formatting the Kafka storage with " + config + " failed (exit "
                        + rc + "): " + buffer.toString(StandardCharsets.UTF_8).trim());
            }
            log.debug("Formatted Kafka storage for cluster {}: {}", clusterId,
                    buffer.toString(StandardCharsets.UTF_8).trim());
        }

        private static void awaitReachable(String bootstrap, long startNanos) {
            long deadline = startNanos + START_TIMEOUT.toNanos();
            Properties adminProps = new Properties();
            adminProps.setProperty(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
            adminProps.setProperty(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, "5000");
            adminProps.setProperty(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, "5000");
            Exception last = null;
            try (Admin admin = Admin.create(adminProps)) {
                while (System.nanoTime() < deadline) {
                    try {
                        if (!admin.describeCluster().nodes().get(5, TimeUnit.SECONDS).isEmpty()) {
                            return;
                        }
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        throw new IllegalStateException("interrupted while waiting for Kafka at " + bootstrap, e);
                    } catch (Exception e) {
                        last = e;
                    }
                    try {
                        Thread.sleep(100);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        throw new IllegalStateException("interrupted while waiting for Kafka at " + bootstrap, e);
                    }
                }
            }
            throw new IllegalStateException("Embedded Kafka at " + bootstrap + " did not answer describeCluster within "
                    + START_TIMEOUT.toSeconds() + " s" + (last == null ? "" : ": " + last), last);
        }
    }

    private static int freePort(String host) {
        try (ServerSocket socket = new ServerSocket()) {
            socket.setReuseAddress(false);
            socket.bind(new InetSocketAddress(InetAddress.getByName(host), 0));
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException("no free port on " + host, e);
        }
    }

    private static String kafkaVersion() {
        return org.apache.kafka.common.utils.AppInfoParser.getVersion();
    }

    private static void deleteRecursively(Path dir) {
        if (dir == null || !Files.exists(dir)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(dir)) {
            paths.sorted(Comparator.reverseOrder()).forEach(p -> {
                try {
                    Files.deleteIfExists(p);
                } catch (IOException e) {
                    log.warn("Could not delete {} of the temporary Kafka data dir: {}", p, e.toString());
                }
            });
        } catch (IOException | UncheckedIOException e) {
            log.warn("Could not delete the temporary Kafka data dir {}: {}", dir, e.toString());
        }
    }
}
