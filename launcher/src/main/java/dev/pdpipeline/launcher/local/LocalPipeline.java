package dev.pdpipeline.launcher.local;

import dev.pdpipeline.common.config.KafkaClientProperties;
import dev.pdpipeline.common.health.Health;
import dev.pdpipeline.common.kafka.EmbeddedKafka;
import dev.pdpipeline.common.management.ManagementServer;
import dev.pdpipeline.common.management.MeterRegistries;
import dev.pdpipeline.common.topics.TopicCatalogue;
import dev.pdpipeline.console.ConsoleConfig;
import dev.pdpipeline.console.ConsoleService;
import dev.pdpipeline.examples.agent.ExampleAgent;
import dev.pdpipeline.ingress.IngressConfig;
import dev.pdpipeline.ingress.IngressService;
import dev.pdpipeline.launcher.InvalidSettingException;
import dev.pdpipeline.launcher.console.ConsoleActions;
import dev.pdpipeline.processor.ProcessorConfig;
import dev.pdpipeline.processor.ProcessorService;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Embedded Kafka, ingress and processor in one process: what {@code bin/pipeline local} runs.
 *
 * <p>The broker keeps its data in {@code LOCAL_DATA_DIR}, so topic history survives a restart and
 * can be replayed; the two services share one registry and one management port, as one
 * process should.
 */
public final class LocalPipeline implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(LocalPipeline.class);

    /** Where the local run keeps broker data and Streams state. */
    public static final String LOCAL_DATA_DIR_ENV = "LOCAL_DATA_DIR";
    /** The secret the example Trigger file reads; the local run supplies a development value. */
    public static final String WEBHOOK_SECRET_ENV = "PAGERDUTY_WEBHOOK_SECRET";
    /** {@code false} keeps the local run from starting the example agent. */
    public static final String LOCAL_EXAMPLE_AGENT_ENV = "LOCAL_EXAMPLE_AGENT";
    /** Development-only webhook secret of the local run; {@code send-test-event} uses it too. */
    public static final String LOCAL_WEBHOOK_SECRET = "local-development-secret";

    private final List<AutoCloseable> running;
    private final EmbeddedKafka kafka;
    private final IngressService ingress;
    private final ManagementServer management;
    private final ConsoleService console;
    private final Map<String, String> effectiveEnv;
    private final Health health;

    private LocalPipeline(List<AutoCloseable> running, EmbeddedKafka kafka, IngressService ingress,
            ManagementServer management, ConsoleService console, Map<String, String> effectiveEnv,
            Health health) {
        this.health = health;
        this.console = console;
        this.running = running;
        this.kafka = kafka;
        this.ingress = ingress;
        this.management = management;
        this.effectiveEnv = effectiveEnv;
    }

    /**
     * The environment of a local run: the given one plus local defaults (data dir, example
     * triggers, development secret, Streams state under the data dir).
     */
    public static Map<String, String> withLocalDefaults(Map<String, String> env, Path home) {
        Map<String, String> out = new HashMap<>(env);
        Path dataDir = Path.of(out.computeIfAbsent(LOCAL_DATA_DIR_ENV, k -> home.resolve(".local-data").toString()));
        out.putIfAbsent("TRIGGERS_PATH", home.resolve("examples").resolve("triggers").toString());
        out.putIfAbsent(WEBHOOK_SECRET_ENV, LOCAL_WEBHOOK_SECRET);
        out.putIfAbsent("STATE_DIR", dataDir.resolve("streams").toString());
        out.putIfAbsent(KafkaClientProperties.BOOTSTRAP_SERVERS_ENV, KafkaClientProperties.DEFAULT_BOOTSTRAP_SERVERS);
        return out;
    }

    /** Starts broker, processor and ingress; on any failure stops what already started. */
    public static LocalPipeline start(Map<String, String> env) {
        Objects.requireNonNull(env, "env");
        IngressConfig ingressConfig = IngressConfig.fromEnv(env);
        ProcessorConfig processorConfig = ProcessorConfig.fromEnv(env);
        HostPort broker = HostPort.parse(KafkaClientProperties.bootstrapServers(env));
        Path dataDir = Path.of(env.get(LOCAL_DATA_DIR_ENV)).toAbsolutePath();
        try {
            Files.createDirectories(dataDir);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create " + LOCAL_DATA_DIR_ENV + " " + dataDir, e);
        }

        List<AutoCloseable> running = new ArrayList<>();
        Health health = new Health();
        try {
            LOG.info("Starting embedded Kafka on {}:{} with data in {}", broker.host(), broker.port(), dataDir.resolve("kafka"));
            EmbeddedKafka kafka = EmbeddedKafka.builder()
                    .host(broker.host())
                    .port(broker.port())
                    .dataDir(dataDir.resolve("kafka"))
                    .start();
            running.add(0, kafka);
            Map<String, String> clientEnv = new HashMap<>(env);
            clientEnv.put(KafkaClientProperties.BOOTSTRAP_SERVERS_ENV, kafka.bootstrapServers());

            PrometheusMeterRegistry registry = MeterRegistries.prometheus();
            // one health for the whole process: a failed part of either service ends the local run
            health.bindTo(registry);
            ProcessorService processor = ProcessorService.start(ProcessorConfig.fromEnv(clientEnv), registry, health);
            running.add(0, processor);
            if (!"false".equalsIgnoreCase(env.getOrDefault(LOCAL_EXAMPLE_AGENT_ENV, "true"))) {
                // consumes agent.diagnostic-agent.requests and answers on agent.results
                ExampleAgent agent = ExampleAgent.fromEnv(clientEnv).start();
                running.add(0, agent);
                LOG.info("Example agent '{}' answering its requests (set {}=false to leave it out)",
                        agent.settings().agentName(), LOCAL_EXAMPLE_AGENT_ENV);
            }
            IngressService ingress = IngressService.start(IngressConfig.fromEnv(clientEnv), registry, health);
            running.add(0, ingress);
            ManagementServer management = ManagementServer.start(
                            ingressConfig.managementHost(), ingressConfig.managementPort(), registry, health)
                    .addReadinessCheck("ingress", ingress::isReady)
                    .addReadinessCheck("processor", processor::isReady);
            running.add(0, management);
            // the operator console on CONSOLE_HOST:CONSOLE_PORT (127.0.0.1:8090), reading the same broker
            ConsoleService console = ConsoleActions.startConsole(ConsoleConfig.fromEnv(clientEnv), clientEnv);
            running.add(0, console);
            management.addReadinessCheck("console", () -> console.health().failure().isEmpty());
            // the console's own parts fail the local run too, so nothing in it dies silently
            Health.Part consolePart = health.register("console");
            console.health().onFailure(failure -> consolePart.failed(failure.toString()));
            LOG.debug("Processor config: {}", processorConfig);
            return new LocalPipeline(running, kafka, ingress, management, console, clientEnv, health);
        } catch (RuntimeException e) {
            closeAll(running);
            throw e;
        }
    }

    public String bootstrapServers() {
        return kafka.bootstrapServers();
    }

    public int ingressPort() {
        return ingress.port();
    }

    public int managementPort() {
        return management.port();
    }

    /** The one health of the local run's parts (ingress and processor). */
    public Health health() {
        return health;
    }

    /** The operator console's port ({@code CONSOLE_PORT}, default 8090). */
    public int consolePort() {
        return console.port();
    }

    /** The operator console. */
    public ConsoleService console() {
        return console;
    }

    /** Whether both services are ready. */
    public boolean isReady() {
        return management.isReady();
    }

    /** The environment the services were started with (local defaults applied). */
    public Map<String, String> environment() {
        return Map.copyOf(effectiveEnv);
    }

    /** The topic catalogue in force. */
    public TopicCatalogue topics() {
        return TopicCatalogue.fromEnv(effectiveEnv);
    }

    /** Resources in the order they must close (ingress before processor before broker). */
    public List<AutoCloseable> resources() {
        return List.copyOf(running);
    }

    @Override
    public void close() {
        closeAll(running);
    }

    private static void closeAll(List<AutoCloseable> resources) {
        for (AutoCloseable resource : resources) {
            try {
                resource.close();
            } catch (Exception e) {
                LOG.warn("Error while closing {}: {}", resource.getClass().getSimpleName(), e.toString());
            }
        }
    }

    /** host:port of the first bootstrap server, where the embedded broker binds. */
    record HostPort(String host, int port) {
        static HostPort parse(String bootstrap) {
            String first = bootstrap.split(",")[0].trim();
            int colon = first.lastIndexOf(':');
            if (colon <= 0 || colon == first.length() - 1) {
                throw new InvalidSettingException(KafkaClientProperties.BOOTSTRAP_SERVERS_ENV
                        + " must be host:port for the local run, got '" + first + "'");
            }
            try {
                int port = Integer.parseInt(first.substring(colon + 1));
                if (port < 0 || port > 65535) {
                    throw new NumberFormatException();
                }
                return new HostPort(first.substring(0, colon), port);
            } catch (NumberFormatException e) {
                throw new InvalidSettingException(KafkaClientProperties.BOOTSTRAP_SERVERS_ENV
                        + " has an invalid port: '" + first + "'");
            }
        }
    }
}
