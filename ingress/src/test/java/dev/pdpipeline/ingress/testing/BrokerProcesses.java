package dev.pdpipeline.ingress.testing;

import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.common.Uuid;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A KRaft cluster of separate JVMs (one controller, N brokers, {@code kafka.Kafka} from the test
 * classpath), so that a broker can be killed from outside with SIGKILL: no controlled shutdown,
 * its partitions keep it as leader until the controller fences it after
 * {@code broker.session.timeout.ms}, and the leaders of the other partitions drop it from their ISR
 * after {@code replica.lag.time.max.ms}. Replication N, {@code min.insync.replicas} N-1. Logs go to
 * {@code target/it-logs/}.
 */
public final class BrokerProcesses implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(BrokerProcesses.class);

    private final Map<Integer, Process> processes = new LinkedHashMap<>();
    private final Map<Integer, Integer> brokerPorts = new LinkedHashMap<>();
    private final Duration sessionTimeout;

    private BrokerProcesses(Duration sessionTimeout) {
        this.sessionTimeout = sessionTimeout;
    }

    /** Formats and starts the controller and {@code brokers} brokers, and waits until all brokers are registered. */
    public static BrokerProcesses start(Path dir, int brokers, Duration sessionTimeout, Duration replicaLag,
            String logPrefix) {
        BrokerProcesses cluster = new BrokerProcesses(sessionTimeout);
        try {
            String clusterId = Uuid.randomUuid().toString();
            int controllerPort = freePort();
            String voters = "1@127.0.0.1:" + controllerPort;
            Map<Integer, Path> configs = new LinkedHashMap<>();
            Properties controller = common(voters, dir.resolve("node-1"), 1);
            controller.put("process.roles", "controller");
            controller.put("listeners", "CONTROLLER://127.0.0.1:" + controllerPort);
            controller.put("broker.session.timeout.ms", Long.toString(sessionTimeout.toMillis()));
            configs.put(1, write(dir, 1, controller));
            for (int id = 2; id < 2 + brokers; id++) {
                int port = freePort();
                Properties broker = common(voters, dir.resolve("node-" + id), id);
                broker.put("process.roles", "broker");
                broker.put("listeners", "PLAINTEXT://127.0.0.1:" + port);
                broker.put("advertised.listeners", "PLAINTEXT://127.0.0.1:" + port);
                broker.put("inter.broker.listener.name", "PLAINTEXT");
                String replication = Integer.toString(brokers);
                String minIsr = Integer.toString(brokers - 1);
                broker.put("default.replication.factor", replication);
                broker.put("min.insync.replicas", minIsr);
                broker.put("offsets.topic.replication.factor", replication);
                broker.put("transaction.state.log.replication.factor", replication);
                broker.put("transaction.state.log.min.isr", minIsr);
                broker.put("unclean.leader.election.enable", "false");
                broker.put("auto.create.topics.enable", "false");
                broker.put("group.initial.rebalance.delay.ms", "0");
                // a leader drops a silent follower from the ISR after this long (acks=all waits for the whole ISR)
                broker.put("replica.lag.time.max.ms", Long.toString(replicaLag.toMillis()));
                configs.put(id, write(dir, id, broker));
                cluster.brokerPorts.put(id, port);
            }
            List<Process> formats = new ArrayList<>();
            for (Map.Entry<Integer, Path> e : configs.entrySet()) {
                formats.add(jvm(logPrefix + "-format-" + e.getKey(), "kafka.tools.StorageTool", "format", "-t",
                        clusterId, "-c", e.getValue().toString(), "--ignore-formatted"));
            }
            for (Process format : formats) {
                if (!format.waitFor(120, TimeUnit.SECONDS) || format.exitValue() != 0) {
                    throw new IllegalStateException("formatting a Kafka node failed; see target/it-logs/" + logPrefix
                            + "-format-*.log");
                }
            }
            for (Map.Entry<Integer, Path> e : configs.entrySet()) {
                cluster.processes.put(e.getKey(), jvm(logPrefix + "-node-" + e.getKey(), "kafka.Kafka",
                        e.getValue().toString()));
            }
            try (Admin admin = cluster.admin()) {
                await().atMost(Duration.ofSeconds(180)).pollInterval(Duration.ofMillis(500)).ignoreExceptions()
                        .until(() -> admin.describeCluster().nodes().get(5, TimeUnit.SECONDS).size() == brokers);
            }
            LOG.info("Started a Kafka cluster of {} broker JVMs at {} (session timeout {} ms)", brokers,
                    cluster.bootstrapServers(), sessionTimeout.toMillis());
            return cluster;
        } catch (IOException e) {
            cluster.close();
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            cluster.close();
            throw new IllegalStateException(e);
        } catch (RuntimeException e) {
            cluster.close();
            throw e;
        }
    }

    public String bootstrapServers() {
        return brokerPorts.values().stream().map(p -> "127.0.0.1:" + p).collect(Collectors.joining(","));
    }

    /** Broker node ids (the controller is node 1 and is never among them). */
    public List<Integer> brokerIds() {
        return List.copyOf(brokerPorts.keySet());
    }

    public Duration sessionTimeout() {
        return sessionTimeout;
    }

    /** SIGKILLs broker {@code id} and waits until its process is gone. */
    public void kill(int id) throws InterruptedException {
        Process process = processes.get(id);
        LOG.info("SIGKILL broker {} (pid {})", id, process.pid());
        process.destroyForcibly();
        process.waitFor(30, TimeUnit.SECONDS);
    }

    public Admin admin() {
        Properties props = new Properties();
        props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers());
        return Admin.create(props);
    }

    @Override
    public void close() {
        List<Integer> ids = new ArrayList<>(processes.keySet());
        java.util.Collections.reverse(ids);
        for (int id : ids) {
            Process p = processes.get(id);
            p.destroyForcibly();
            try {
                p.waitFor(30, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private static Properties common(String voters, Path logDir, int id) {
        Properties p = new Properties();
        p.put("node.id", Integer.toString(id));
        p.put("controller.quorum.voters", voters);
        p.put("controller.listener.names", "CONTROLLER");
        p.put("listener.security.protocol.map", "CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT");
        p.put("log.dirs", logDir.toString());
        p.put("broker.heartbeat.interval.ms", "500");
        p.put("num.network.threads", "2");
        p.put("num.io.threads", "2");
        return p;
    }

    private static Path write(Path dir, int id, Properties props) throws IOException {
        Files.createDirectories(dir);
        Path file = dir.resolve("node-" + id + ".properties");
        try (var out = Files.newBufferedWriter(file)) {
            props.store(out, "node " + id);
        }
        return file;
    }

    private static Process jvm(String logName, String mainClass, String... args) throws IOException {
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java")
                .toString(), "-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-cp",
                System.getProperty("java.class.path"), mainClass));
        command.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(command);
        pb.redirectErrorStream(true);
        Path log = Path.of("target", "it-logs", logName + ".log");
        Files.createDirectories(log.getParent());
        pb.redirectOutput(log.toFile());
        return pb.start();
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }
}
