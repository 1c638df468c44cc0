package dev.pdpipeline.launcher.compose;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import dev.pdpipeline.common.config.KafkaClientProperties;
import dev.pdpipeline.common.topics.TopicCatalogue;
import dev.pdpipeline.common.trigger.Trigger;
import dev.pdpipeline.common.trigger.TriggerLoader;
import dev.pdpipeline.examples.agent.AgentSettings;
import dev.pdpipeline.launcher.Pipeline;
import dev.pdpipeline.launcher.cli.Environment;
import dev.pdpipeline.launcher.local.LocalPipeline;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.streams.StreamsConfig;
import org.junit.jupiter.api.Test;

/**
 * Holds docker-compose.yml, the Dockerfiles, .env.example and docs/configuration.md to the code:
 * nothing can be built or run with Docker here, so a renamed variable or topic on one side only
 * would otherwise surface as a container that silently ignores a setting or waits for a topic
 * forever. The known variables come from the services' {@link ConfigDef}s, {@link TopicCatalogue},
 * {@link KafkaClientProperties} and the example agent's {@link AgentSettings} constants, never from
 * a list kept in this test.
 */
class ComposeConsistencyTest {

    static final Path ROOT = findRoot();
    private static final YAMLMapper YAML = new YAMLMapper();

    // ---------------------------------------------------------------- the real files

    @Test
    void composeFileAgreesWithTheCode() {
        assertThat(checker().check(compose())).isEmpty();
    }

    @Test
    void everyComposeFileAgreesWithTheCode() {
        assertThat(composeFiles()).contains("docker-compose.yml", "docker-compose.cluster.yml");
        for (String file : composeFiles()) {
            assertThat(checker().check(compose(file))).as(file).isEmpty();
        }
    }

    @Test
    void theClusterFileRunsThreeBrokersWithReplicationThreeAndMinIsrTwo() {
        ObjectNode cluster = compose("docker-compose.cluster.yml");
        List<JsonNode> brokers = new ArrayList<>();
        cluster.path("services").forEach(service -> {
            if (service.path("image").asText().startsWith("apache/kafka:")) {
                brokers.add(service);
            }
        });
        assertThat(brokers).hasSize(3);
        for (JsonNode broker : brokers) {
            JsonNode env = broker.path("environment");
            assertThat(env.path("KAFKA_PROCESS_ROLES").asText()).contains("controller").contains("broker");
            assertThat(env.path("KAFKA_CONTROLLER_QUORUM_VOTERS").asText().split(",")).hasSize(3);
            assertThat(env.path("KAFKA_DEFAULT_REPLICATION_FACTOR").asInt()).isEqualTo(3);
            assertThat(env.path("KAFKA_MIN_INSYNC_REPLICAS").asInt()).isEqualTo(2);
            assertThat(env.path("KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR").asInt()).isEqualTo(3);
            assertThat(env.path("KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR").asInt()).isEqualTo(3);
            assertThat(env.path("KAFKA_TRANSACTION_STATE_LOG_MIN_ISR").asInt()).isEqualTo(2);
        }
        // the services create their topics (and Kafka Streams its changelogs) with three copies
        for (String service : List.of("topics", "ingress")) {
            assertThat(cluster.at("/services/" + service + "/environment/TOPIC_REPLICATION").asInt()).as(service)
                    .isEqualTo(3);
        }
        for (String variable : List.of("TOPIC_REPLICATION", "KAFKA_REPLICATION_FACTOR")) {
            assertThat(cluster.at("/services/processor/environment/" + variable).asInt()).as(variable).isEqualTo(3);
        }
    }

    @Test
    void reportsAManagementPortPublishedOnEveryInterface() {
        ObjectNode compose = compose();
        ((ArrayNode) compose.at("/services/processor/ports")).removeAll().add("8082:8081");
        ((ArrayNode) compose.at("/services/kafka/ports")).removeAll().add("0.0.0.0:9092:9092");

        assertThat(checker().check(compose))
                .anySatisfy(p -> assertThat(p).contains("processor").contains("8082").contains("127.0.0.1"))
                .anySatisfy(p -> assertThat(p).contains("kafka").contains("9092").contains("127.0.0.1"));
    }

    @Test
    void reportsAnUnboundedRestartPolicyAMissingMemoryLimitAndALivenessCheckLeftOut() {
        ObjectNode compose = compose();
        ((ObjectNode) compose.at("/services/processor")).put("restart", "unless-stopped");
        ((ObjectNode) compose.at("/services/ingress")).remove("mem_limit");
        ((ObjectNode) compose.at("/services/ingress/healthcheck")).putArray("test").add("CMD").add("curl")
                .add("-fsS").add("http://localhost:8081/health/ready");

        assertThat(checker().check(compose))
                .anySatisfy(p -> assertThat(p).contains("processor").contains("on-failure"))
                .anySatisfy(p -> assertThat(p).contains("ingress").contains("mem_limit"))
                .anySatisfy(p -> assertThat(p).contains("ingress").contains("/health/live"));
    }

    @Test
    void holdsTheConsoleToItsPortItsVariablesAndALocalBind() {
        ObjectNode compose = compose();
        ((ArrayNode) compose.at("/services/console/ports")).removeAll().add("8090:8090");
        ((ObjectNode) compose.at("/services/console/environment")).put("CONSOLE_ADMIN_TOKENN", "x");
        ((ObjectNode) compose.at("/services/console/healthcheck")).putArray("test").add("CMD").add("curl")
                .add("-fsS").add("http://localhost:8081/health/ready");

        assertThat(checker().check(compose))
                .anySatisfy(p -> assertThat(p).contains("console").contains("8090").contains("127.0.0.1"))
                .anySatisfy(p -> assertThat(p).contains("console").contains("CONSOLE_ADMIN_TOKENN"))
                .anySatisfy(p -> assertThat(p).contains("console").contains(":8090/health/ready"));
    }

    @Test
    void reportsASecondImageBuild() {
        ObjectNode compose = compose();
        ((ObjectNode) compose.at("/services/processor")).putObject("build").put("context", ".")
                .put("dockerfile", "Dockerfile");

        assertThat(checker().check(compose)).anySatisfy(p -> assertThat(p).contains("built once")
                .contains("processor"));
    }

    @Test
    void everyConfigurationVariableIsInTheConfigurationReference() throws IOException {
        String doc = Files.readString(ROOT.resolve("docs/configuration.md"));
        Set<String> missing = new TreeSet<>();
        for (String name : CodeFacts.documentedVariables(ROOT)) {
            if (!doc.contains("`" + name + "`")) {
                missing.add(name);
            }
        }
        assertThat(missing).as("variables missing from docs/configuration.md").isEmpty();
    }

    @Test
    void envExampleHoldsPlaceholdersOnlyAndStaysOutOfGit() throws IOException {
        Map<String, String> example = Checker.readEnvFile(ROOT.resolve(".env.example"));
        assertThat(example).containsKeys("PAGERDUTY_WEBHOOK_SECRET", "PAGERDUTY_API_TOKEN", "PAGERDUTY_FROM_EMAIL",
                "PAGERDUTY_API_URL");
        assertThat(example.get("PAGERDUTY_WEBHOOK_SECRET")).startsWith("replace-with-");
        assertThat(example.get("PAGERDUTY_API_TOKEN")).isEmpty();
        assertThat(Files.readAllLines(ROOT.resolve(".gitignore"))).contains(".env");
        assertThat(Files.readAllLines(ROOT.resolve(".dockerignore"))).contains(".env", ".git", "**/target/",
                ".local-data/");
    }

    // ---------------------------------------------------------------- the checker catches drift

    @Test
    void reportsAVariableRenamedInTheComposeFileOnly() {
        ObjectNode compose = compose();
        ObjectNode env = (ObjectNode) compose.at("/services/ingress/environment");
        env.set("INGRES_PORT", env.remove("INGRESS_PORT"));

        assertThat(checker().check(compose)).anySatisfy(p -> assertThat(p).contains("ingress").contains("INGRES_PORT"));
    }

    @Test
    void reportsAVariableRenamedInTheCodeOnly() {
        CodeFacts renamed = CodeFacts.fromCode(ROOT).withoutVariable("ingress", "INGRESS_PORT");

        assertThat(new Checker(ROOT, envExample(), renamed).check(compose()))
                .anySatisfy(p -> assertThat(p).contains("ingress").contains("INGRESS_PORT"));
    }

    @Test
    void reportsAVariableRenamedInTheExampleAgentsComposeEnvironmentOnly() {
        ObjectNode compose = compose();
        ObjectNode env = (ObjectNode) compose.at("/services/example-agent/environment");
        env.set("AGNET_NAME", env.remove(AgentSettings.AGENT_NAME_ENV));

        assertThat(checker().check(compose))
                .anySatisfy(p -> assertThat(p).contains("example-agent").contains("AGNET_NAME"));
    }

    @Test
    void reportsAnExampleAgentNoMountedTriggerRoutesTo() {
        ObjectNode compose = compose();
        ((ObjectNode) compose.at("/services/example-agent/environment")).put(AgentSettings.AGENT_NAME_ENV, "billing-agent");

        assertThat(checker().check(compose)).anySatisfy(p -> assertThat(p).contains("example-agent")
                .contains("agent.billing-agent.requests"));
    }

    @Test
    void reportsAVariableOfAnotherService() {
        ObjectNode compose = compose();
        ((ObjectNode) compose.at("/services/ingress/environment")).put("APPLICATION_ID", "pdpipeline-processor");

        assertThat(checker().check(compose)).anySatisfy(p -> assertThat(p).contains("ingress").contains("APPLICATION_ID"));
    }

    @Test
    void reportsAKafkaVariableThatIsNoClientProperty() {
        ObjectNode compose = compose();
        ((ObjectNode) compose.at("/services/processor/environment")).put("KAFKA_BOOTSTRAP_SERVER", "kafka:19092");

        assertThat(checker().check(compose))
                .anySatisfy(p -> assertThat(p).contains("KAFKA_BOOTSTRAP_SERVER").contains("bootstrap.server"));
    }

    @Test
    void reportsATopicRenamedInTheTopicsJobOnly() {
        ObjectNode compose = withScriptTopicsJob();
        replaceInCommand(compose, "topics", "--topic pagerduty.webhooks.raw ", "--topic pagerduty.webhook.raw ");

        assertThat(checker().check(compose))
                .anySatisfy(p -> assertThat(p).contains("pagerduty.webhook.raw"))
                .anySatisfy(p -> assertThat(p).contains("pagerduty.webhooks.raw").contains("not created"));
    }

    @Test
    void reportsATopicRenamedInTheCodeOnly() {
        CodeFacts renamed = CodeFacts.fromCode(ROOT).withTopicDefault(TopicCatalogue.RAW_TOPIC_ENV, "pagerduty.events.raw");

        assertThat(new Checker(ROOT, envExample(), renamed).check(withScriptTopicsJob()))
                .anySatisfy(p -> assertThat(p).contains("pagerduty.events.raw").contains("not created"))
                .anySatisfy(p -> assertThat(p).contains("pagerduty.webhooks.raw"));
    }

    @Test
    void reportsATopicVariableSetOnOneServiceOnly() {
        ObjectNode compose = compose();
        ((ObjectNode) compose.at("/services/ingress/environment")).put(TopicCatalogue.RAW_TOPIC_ENV, "incidents.raw");

        assertThat(checker().check(compose)).anySatisfy(p -> assertThat(p).contains("incidents.raw"));
    }

    @Test
    void reportsABookkeepingTopicCreatedWithoutCompaction() {
        ObjectNode compose = withScriptTopicsJob();
        replaceInCommand(compose, "topics", "--topic pdpipeline.results.ledger --partitions 6 --config cleanup.policy=compact",
                "--topic pdpipeline.results.ledger --partitions 6");

        assertThat(checker().check(compose)).anySatisfy(p -> assertThat(p).contains("pdpipeline.results.ledger")
                .contains("compact"));
    }

    @Test
    void acceptsAgentTopicsOfTheMountedTriggersOnly() {
        ObjectNode known = withScriptTopicsJob();
        assertThat(checker().check(known)).isEmpty();
        replaceInCommand(known, "topics", "echo \"topics ready\"",
                "create --topic agent.diagnostic-agent.requests --partitions 6\necho \"topics ready\"");
        ObjectNode unknown = withScriptTopicsJob();
        replaceInCommand(unknown, "topics", "echo \"topics ready\"",
                "create --topic agent.billing-agent.requests --partitions 6\necho \"topics ready\"");

        assertThat(checker().check(known)).isEmpty();
        assertThat(checker().check(unknown)).anySatisfy(p -> assertThat(p).contains("agent.billing-agent.requests"));
    }

    @Test
    void reportsATriggerVariableTheServiceDoesNotSet() {
        ObjectNode compose = compose();
        ((ObjectNode) compose.at("/services/processor/environment")).remove("PAGERDUTY_WEBHOOK_SECRET");

        assertThat(checker().check(compose))
                .anySatisfy(p -> assertThat(p).contains("processor").contains("PAGERDUTY_WEBHOOK_SECRET"));
    }

    @Test
    void reportsUnpinnedImagesAndCollidingHostPorts() {
        ObjectNode compose = compose();
        ((ObjectNode) compose.at("/services/kafka-ui")).put("image", "kafbat/kafka-ui:latest");
        ((ObjectNode) compose.at("/services/kafka")).put("image", "apache/kafka");
        ((ArrayNode) compose.at("/services/kafka-ui/ports")).removeAll().add("127.0.0.1:8082:8080");

        assertThat(checker().check(compose))
                .anySatisfy(p -> assertThat(p).contains("kafka-ui").contains("latest"))
                .anySatisfy(p -> assertThat(p).contains("kafka").contains("apache/kafka"))
                .anySatisfy(p -> assertThat(p).contains("8082").contains("processor").contains("kafka-ui"));
    }

    @Test
    void reportsMissingFilesAndAPublishedPortTheServiceDoesNotListenOn() {
        ObjectNode compose = compose();
        ((ArrayNode) compose.at("/services/ingress/volumes")).removeAll()
                .add("./no-such-folder:/etc/pdpipeline/triggers:ro");
        ((ObjectNode) compose.at("/services/kafka-ui")).putObject("build").put("context", ".")
                .put("dockerfile", "Dockerfile.missing");
        ((ObjectNode) compose.at("/services/ingress/environment")).put("MANAGEMENT_PORT", "9091");

        assertThat(checker().check(compose))
                .anySatisfy(p -> assertThat(p).contains("no-such-folder"))
                .anySatisfy(p -> assertThat(p).contains("Dockerfile.missing"))
                .anySatisfy(p -> assertThat(p).contains("ingress").contains("9091"));
    }

    @Test
    void reportsEnvExampleVariablesNoServiceUsesAndSecretsMissingFromIt() {
        Map<String, String> example = new LinkedHashMap<>(envExample());
        example.put("PAGERDUTY_WEBHOK_SECRET", "replace-me");
        example.remove("PAGERDUTY_WEBHOOK_SECRET");

        assertThat(new Checker(ROOT, example, CodeFacts.fromCode(ROOT)).check(compose()))
                .anySatisfy(p -> assertThat(p).contains("PAGERDUTY_WEBHOK_SECRET").contains(".env.example"))
                .anySatisfy(p -> assertThat(p).contains("PAGERDUTY_WEBHOOK_SECRET").contains(".env.example"));
    }

    // ---------------------------------------------------------------- helpers

    private static Checker checker() {
        return new Checker(ROOT, envExample(), CodeFacts.fromCode(ROOT));
    }

    private static Map<String, String> envExample() {
        return Checker.readEnvFile(ROOT.resolve(".env.example"));
    }

    private static ObjectNode compose() {
        return compose("docker-compose.yml");
    }

    /**
     * A compose file as Compose sees it: YAML anchors and merge keys ({@code <<: *x}) resolved,
     * which SnakeYAML's full loader does and Jackson's streaming YAML parser does not.
     */
    static ObjectNode compose(String file) {
        try {
            Object tree = new org.yaml.snakeyaml.Yaml().load(Files.readString(ROOT.resolve(file)));
            return new ObjectMapper().valueToTree(tree);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The top-level compose files (docker-compose*.yml), each held to the code. */
    static List<String> composeFiles() {
        try (Stream<Path> files = Files.list(ROOT)) {
            return files.map(f -> f.getFileName().toString())
                    .filter(n -> n.startsWith("docker-compose") && (n.endsWith(".yml") || n.endsWith(".yaml")))
                    .sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * The compose file with its "topics" job replaced by a kafka-topics.sh script that creates the
     * same topics, the way a team may create them with its own tooling; the checker parses it.
     */
    private static ObjectNode withScriptTopicsJob() {
        ObjectNode compose = compose();
        ObjectNode job = ((ObjectNode) compose.path("services")).putObject("topics");
        job.put("image", "apache/kafka:4.1.0");
        job.putObject("depends_on").putObject("kafka").put("condition", "service_healthy");
        job.put("restart", "no");
        job.put("mem_limit", "384m");
        job.putArray("entrypoint").add("/bin/bash").add("-ec");
        job.putArray("command").add(String.join("\n",
                "create() { /opt/kafka/bin/kafka-topics.sh --bootstrap-server kafka:19092 --create --if-not-exists --replication-factor 1 \"$$@\"; }",
                "create --topic pagerduty.webhooks.raw --partitions 6 --config retention.ms=2592000000",
                "create --topic pagerduty.webhooks.dlq --partitions 6 --config retention.ms=2592000000",
                "create --topic agent.results --partitions 6 --config retention.ms=604800000",
                "create --topic agent.results.dlq --partitions 6 --config retention.ms=2592000000",
                "create --topic pdpipeline.requests --partitions 6 --config cleanup.policy=compact",
                "create --topic pdpipeline.results.ledger --partitions 6 --config cleanup.policy=compact",
                "echo \"topics ready\""));
        ((ObjectNode) compose.path("services").path("ingress")).put("build", ".");
        ((ObjectNode) compose.path("services").path("ingress")).remove("pull_policy");
        return compose;
    }

    private static void replaceInCommand(ObjectNode compose, String service, String from, String to) {
        ArrayNode command = (ArrayNode) compose.at("/services/" + service + "/command");
        String text = command.get(0).asText();
        assertThat(text).contains(from);
        command.set(0, command.textNode(text.replace(from, to)));
    }

    private static Path findRoot() {
        for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
            if (Files.isRegularFile(dir.resolve("mvnw")) && Files.isDirectory(dir.resolve("launcher"))) {
                return dir;
            }
        }
        throw new IllegalStateException("repository root (with mvnw and launcher/) not found above "
                + Path.of("").toAbsolutePath());
    }

    // ================================================================ what the code reads

    /**
     * What the code says: the variables each subcommand reads and the topic names. Built from the
     * classes by reflection, so classes another change has not added yet are simply absent.
     */
    record CodeFacts(Map<String, Set<String>> configKeysBySubcommand, Set<String> subcommands,
            Set<String> topicVariables, Set<String> logVariables, Function<Map<String, String>, TopicCatalogue> catalogue,
            Set<String> agentVariables) {

        /** The configuration classes of each subcommand; their variables come from their ConfigDefs. */
        static final Map<String, List<String>> CONFIG_CLASSES = Map.of(
                "ingress", List.of("dev.pdpipeline.ingress.IngressConfig"),
                "processor", List.of("dev.pdpipeline.processor.ProcessorConfig",
                        "dev.pdpipeline.processor.notes.NotesConfig"),
                "console", List.of("dev.pdpipeline.console.ConsoleConfig"));

        /** The variable naming the port a subcommand serves /health/live and /health/ready on. */
        static final Map<String, String> HEALTH_PORT_VARIABLE = Map.of(
                "ingress", "MANAGEMENT_PORT",
                "processor", "MANAGEMENT_PORT",
                "console", "CONSOLE_PORT");

        /** Read by the JVM itself: the way to pass JVM flags to the images' exec-form ENTRYPOINT. */
        static final String JAVA_TOOL_OPTIONS = "JAVA_TOOL_OPTIONS";

        /** The example agent's image runs this jar (examples/agent/Dockerfile); it has no subcommands. */
        static final String EXAMPLE_AGENT_JAR = "example-agent.jar";

        static CodeFacts fromCode(Path root) {
            Map<String, Set<String>> keys = new HashMap<>();
            CONFIG_CLASSES.forEach((subcommand, classes) -> {
                Set<String> names = new TreeSet<>();
                classes.forEach(c -> names.addAll(keysOfClass(c)));
                names.addAll(readPlanVariables()); // both services create their topics through the plan
                keys.put(subcommand, names);
            });
            return new CodeFacts(keys, Pipeline.commandLine().getSubcommands().keySet(), readTopicVariables(),
                    readLogVariables(), TopicCatalogue::fromEnv, readAgentVariables());
        }

        /** Every variable any entry point reads, for the configuration reference. */
        static Set<String> documentedVariables(Path root) throws IOException {
            CodeFacts facts = fromCode(root);
            Set<String> all = new TreeSet<>();
            facts.configKeysBySubcommand.values().forEach(all::addAll);
            all.addAll(facts.topicVariables);
            all.addAll(facts.logVariables);
            all.addAll(facts.agentVariables);
            all.add(KafkaClientProperties.BOOTSTRAP_SERVERS_ENV);
            all.add(LocalPipeline.LOCAL_DATA_DIR_ENV);
            all.add(LocalPipeline.WEBHOOK_SECRET_ENV);
            all.add(Environment.PIPELINE_HOME);
            all.add(JAVA_TOOL_OPTIONS);
            // bin/pipeline's own variables (JAVA_OPTS, PIPELINE_SKIP_BUILD)
            Matcher m = Pattern.compile("\\$\\{([A-Z][A-Z0-9_]*):-").matcher(Files.readString(root.resolve("bin/pipeline")));
            while (m.find()) {
                all.add(m.group(1));
            }
            all.addAll(Checker.readEnvFile(root.resolve(".env.example")).keySet());
            return all;
        }

        Set<String> configKeys(String subcommand) {
            return configKeysBySubcommand.getOrDefault(subcommand, Set.of());
        }

        CodeFacts withoutVariable(String subcommand, String name) {
            Map<String, Set<String>> keys = new HashMap<>(configKeysBySubcommand);
            Set<String> reduced = new TreeSet<>(keys.get(subcommand));
            reduced.remove(name);
            keys.put(subcommand, reduced);
            return new CodeFacts(keys, subcommands, topicVariables, logVariables, catalogue, agentVariables);
        }

        CodeFacts withTopicDefault(String variable, String topic) {
            return new CodeFacts(configKeysBySubcommand, subcommands, topicVariables, logVariables, env -> {
                Map<String, String> withDefault = new HashMap<>(env);
                withDefault.putIfAbsent(variable, topic);
                return catalogue.apply(withDefault);
            }, agentVariables);
        }

        /** The keys of every public static {@code ConfigDef} factory of the class; none if the class is absent. */
        static Set<String> keysOfClass(String className) {
            Class<?> type;
            try {
                type = Class.forName(className);
            } catch (ClassNotFoundException e) {
                return Set.of();
            }
            Set<String> names = new TreeSet<>();
            for (Method method : type.getMethods()) {
                if (Modifier.isStatic(method.getModifiers()) && method.getParameterCount() == 0
                        && ConfigDef.class.equals(method.getReturnType())) {
                    try {
                        names.addAll(((ConfigDef) method.invoke(null)).names());
                    } catch (ReflectiveOperationException e) {
                        throw new IllegalStateException("cannot read " + className + "." + method.getName(), e);
                    }
                }
            }
            if (names.isEmpty()) {
                throw new IllegalStateException(className + " has no public static method returning its ConfigDef");
            }
            return names;
        }

        /** TopicCatalogue's {@code *_ENV} constants. */
        static Set<String> readTopicVariables() {
            return envConstants(TopicCatalogue.class);
        }

        /** The topic plan's settings (partitions, replication, retention) and their old names. */
        static Set<String> readPlanVariables() {
            Set<String> names = new TreeSet<>();
            for (Field field : dev.pdpipeline.common.topics.TopicPlan.class.getFields()) {
                if (Modifier.isStatic(field.getModifiers()) && field.getType() == String.class) {
                    try {
                        names.add((String) field.get(null));
                    } catch (IllegalAccessException e) {
                        throw new IllegalStateException(e);
                    }
                }
            }
            dev.pdpipeline.common.topics.TopicPlan.ALIASES.values().forEach(names::addAll);
            return names;
        }

        /**
         * What the example agent reads: {@link AgentSettings}' {@code *_ENV} constants and the
         * variables of its own logback file (its Main selects it).
         */
        static Set<String> readAgentVariables() {
            Set<String> names = envConstants(AgentSettings.class);
            names.addAll(logVariablesOf(AgentSettings.class, "example-agent-logback.xml"));
            // in the one image it runs as `pipeline example-agent`, with the launcher's logging
            names.addAll(readLogVariables());
            return names;
        }

        private static Set<String> envConstants(Class<?> type) {
            Set<String> names = new TreeSet<>();
            for (Field field : type.getFields()) {
                if (Modifier.isStatic(field.getModifiers()) && field.getType() == String.class
                        && field.getName().endsWith("_ENV")) {
                    try {
                        names.add((String) field.get(null));
                    } catch (IllegalAccessException e) {
                        throw new IllegalStateException(e);
                    }
                }
            }
            return names;
        }

        /** The {@code ${VAR:-default}} variables of the launcher's logback.xml. */
        static Set<String> readLogVariables() {
            return logVariablesOf(Pipeline.class, "logback.xml");
        }

        private static Set<String> logVariablesOf(Class<?> owner, String resource) {
            try (InputStream in = owner.getClassLoader().getResourceAsStream(resource)) {
                if (in == null) {
                    throw new IllegalStateException(resource + " not on the classpath");
                }
                Matcher m = Pattern.compile("\\$\\{([A-Z][A-Z0-9_]*)").matcher(new String(in.readAllBytes(),
                        StandardCharsets.UTF_8));
                Set<String> names = new TreeSet<>();
                while (m.find()) {
                    names.add(m.group(1));
                }
                return names;
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }

    // ================================================================ the checker

    /**
     * Checks a parsed compose file against the code and the repository; returns one line per
     * problem, empty when consistent. A function of its inputs, so tests can feed it altered copies.
     */
    static final class Checker {

        private static final Pattern INTERPOLATION =
                Pattern.compile("\\$\\$|\\$\\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?])([^}]*))?}");
        private static final Pattern TRIGGER_REFERENCE =
                Pattern.compile("(?<!\\$)\\$\\{([A-Za-z_][A-Za-z0-9_]*)(:-[^}]*)?}");
        private static final Pattern TOPIC_OPTION = Pattern.compile("--topic[ =]+([A-Za-z0-9._-]+)");
        private static final Pattern CONFIG_OPTION = Pattern.compile("--config[ =]+([A-Za-z0-9._-]+)=(\\S+)");
        private static final Pattern PINNED_TAG = Pattern.compile(".*\\d+\\.\\d+.*");
        /** The one-shot job that creates the topic plan runs this subcommand ({@code topics ensure}). */
        private static final String TOPICS_SUBCOMMAND = "topics";
        /** The example agent's role in the one image. */
        private static final String EXAMPLE_AGENT_SUBCOMMAND = "example-agent";
        /**
         * Subcommands the compose files run that a build of this module may not contain yet
         * ({@code topics ensure} comes with the topic plan); when present they are checked like any other.
         */
        private static final Set<String> PENDING_SUBCOMMANDS = Set.of();
        private static final Set<String> KAFKA_CLIENT_PROPERTIES = Stream.of(ProducerConfig.configNames(),
                        ConsumerConfig.configNames(), AdminClientConfig.configNames(), StreamsConfig.configDef().names())
                .flatMap(Set::stream).collect(Collectors.toUnmodifiableSet());

        private final Path root;
        private final Map<String, String> envExample;
        private final CodeFacts code;
        private final List<String> problems = new ArrayList<>();
        /** Agent request topics the pipeline's services route to, from their mounted Triggers. */
        private final Set<String> routedAgentTopics = new TreeSet<>();
        /** Results topics the pipeline's services read. */
        private final Set<String> resultsTopics = new TreeSet<>();
        /** Image name -> the Dockerfile that builds it, for services that run the built image. */
        private final Map<String, Path> builtImages = new TreeMap<>();

        Checker(Path root, Map<String, String> envExample, CodeFacts code) {
            this.root = root;
            this.envExample = envExample;
            this.code = code;
        }

        List<String> check(JsonNode compose) {
            problems.clear();
            routedAgentTopics.clear();
            resultsTopics.clear();
            JsonNode services = compose.path("services");
            if (!services.isObject() || services.isEmpty()) {
                return List.of("no services");
            }
            String text = compose.toString();
            builtImages.clear();
            List<String> builders = new ArrayList<>();
            services.fields().forEachRemaining(e -> {
                Path dockerfile = e.getValue().has("build") ? dockerfileOf(e.getValue()) : null;
                if (dockerfile != null) {
                    builders.add(e.getKey());
                    if (e.getValue().hasNonNull("image")) {
                        builtImages.put(interpolate(e.getValue().path("image").asText()), dockerfile);
                    }
                }
            });
            if (builders.size() > 1) {
                problems.add("the pipeline's image must be built once, by one service; built by " + builders
                        + " (give the others its image: and pull_policy: never)");
            }
            checkImagesAndFiles(services);
            checkHostPorts(services);
            checkInterpolation(text);
            Map<String, TopicJob> jobs = topicJobs(services);
            services.fields().forEachRemaining(e -> {
                List<String> argv = argv(e.getKey(), e.getValue());
                if (TOPICS_SUBCOMMAND.equals(subcommandOf(e.getValue(), argv))) {
                    List<String> command = new ArrayList<>();
                    e.getValue().path("command").forEach(c -> command.add(c.asText()));
                    if (!command.equals(List.of(TOPICS_SUBCOMMAND, "ensure"))) {
                        problems.add("service '" + e.getKey() + "' runs " + command + "; the topics job runs"
                                + " [topics, ensure]");
                    }
                    jobs.put(e.getKey(), TopicJob.PLAN);
                    checkPlanJob(e.getKey(), e.getValue());
                }
            });
            if (jobs.isEmpty()) {
                problems.add("no service creates the topics (kafka-topics.sh --create)");
            }
            Set<String> allowedTopics = new TreeSet<>();
            Map<String, JsonNode> agents = new TreeMap<>();
            services.fields().forEachRemaining(e -> {
                List<String> argv = argv(e.getKey(), e.getValue());
                if (runsExampleAgent(argv) || EXAMPLE_AGENT_SUBCOMMAND.equals(subcommandOf(e.getValue(), argv))) {
                    agents.put(e.getKey(), e.getValue());
                    return;
                }
                if (TOPICS_SUBCOMMAND.equals(subcommandOf(e.getValue(), argv))) {
                    return;
                }
                String subcommand = ourSubcommand(e.getKey(), e.getValue(), argv);
                if (subcommand != null) {
                    checkOurService(e.getKey(), e.getValue(), subcommand, jobs, allowedTopics);
                }
            });
            // after the pipeline's services: an agent is held to the topics they route to and read
            agents.forEach((name, service) -> checkExampleAgent(name, service, jobs));
            jobs.forEach((service, job) -> job.topics.forEach((topic, configs) -> {
                if (!allowedTopics.contains(topic)) {
                    problems.add("service '" + service + "' creates topic " + topic
                            + ", which no service uses (not in TopicCatalogue, not an agent topic of a mounted Trigger)");
                }
            }));
            return List.copyOf(problems);
        }

        // ------------------------------------------------------------ services running pipeline.jar

        private void checkOurService(String name, JsonNode service, String subcommand, Map<String, TopicJob> jobs,
                Set<String> allowedTopics) {
            Map<String, String> dockerfileEnv = dockerfileEnv(service);
            Map<String, String> composeEnv = environment(service);
            Map<String, String> env = new LinkedHashMap<>(dockerfileEnv);
            env.putAll(composeEnv);

            Set<String> configKeys = code.configKeys(subcommand);
            String where = "service '" + name + "' (" + subcommand + ")";
            Path triggers = mountedTriggers(name, service, env, configKeys);
            Map<String, Boolean> triggerVariables = triggers == null ? Map.of() : triggerVariables(triggers);

            Set<String> reads = new TreeSet<>(configKeys);
            reads.addAll(code.topicVariables());
            reads.addAll(code.logVariables());
            reads.addAll(triggerVariables.keySet());
            reads.add(CodeFacts.JAVA_TOOL_OPTIONS);
            Map<String, String> sets = new LinkedHashMap<>();
            dockerfileEnv.keySet().forEach(k -> sets.put(k, "its Dockerfile"));
            composeEnv.keySet().forEach(k -> sets.put(k, "docker-compose.yml"));
            sets.forEach((variable, source) -> {
                if (variable.startsWith(KafkaClientProperties.PREFIX)) {
                    checkKafkaVariable(where, variable, source);
                } else if (!reads.contains(variable)) {
                    problems.add(where + " sets " + variable + " in " + source + ", which it does not read"
                            + " (not in its ConfigDefs, TopicCatalogue, logback.xml or its Trigger files)");
                }
            });
            triggerVariables.forEach((variable, required) -> {
                if (required && !env.containsKey(variable)) {
                    problems.add(where + " does not set " + variable + ", which its Trigger files require");
                }
            });
            if (!env.containsKey(KafkaClientProperties.BOOTSTRAP_SERVERS_ENV)) {
                problems.add(where + " does not set " + KafkaClientProperties.BOOTSTRAP_SERVERS_ENV);
            }

            checkPorts(where, service, env, configKeys, CodeFacts.HEALTH_PORT_VARIABLE.getOrDefault(subcommand, "MANAGEMENT_PORT"));
            checkRestartAndMemory(where, service);
            checkDependsOn(where, service, jobs.keySet());
            checkTopics(where, env, triggers, jobs, allowedTopics);
        }

        /**
         * A long-running service restarts after a crash, but not forever after a configuration error
         * (exit 3): {@code on-failure:N}. Every service has a memory limit, and the image sizes the
         * heap from it.
         */
        private void checkRestartAndMemory(String where, JsonNode service) {
            String restart = service.path("restart").asText("");
            if (!restart.matches("on-failure:[1-9][0-9]*")) {
                problems.add(where + " restarts '" + restart + "'; use on-failure:N so exit 3 (configuration) does"
                        + " not restart in a loop");
            }
            checkMemory(where, service);
        }

        private void checkMemory(String where, JsonNode service) {
            if (!service.hasNonNull("mem_limit") && service.at("/deploy/resources/limits/memory").isMissingNode()) {
                problems.add(where + " has no mem_limit (the JVM sizes its heap from the container's limit)");
            }
        }

        /** The {@code topics ensure} job: known variables only, a bounded run, Kafka's bootstrap. */
        private void checkPlanJob(String name, JsonNode service) {
            String where = "service '" + name + "' (topics ensure)";
            Set<String> reads = new TreeSet<>();
            code.configKeysBySubcommand().values().forEach(reads::addAll);
            reads.addAll(code.topicVariables());
            reads.addAll(code.logVariables());
            Map<String, String> env = environment(service);
            env.forEach((variable, value) -> {
                if (variable.startsWith(KafkaClientProperties.PREFIX)) {
                    checkKafkaVariable(where, variable, "docker-compose.yml");
                } else if (!reads.contains(variable)) {
                    problems.add(where + " sets " + variable + ", which it does not read");
                }
            });
            if (!env.containsKey(KafkaClientProperties.BOOTSTRAP_SERVERS_ENV)) {
                problems.add(where + " does not set " + KafkaClientProperties.BOOTSTRAP_SERVERS_ENV);
            }
            if (!"no".equals(service.path("restart").asText("no"))) {
                problems.add(where + " is a one-shot job: restart must be \"no\"");
            }
            checkMemory(where, service);
        }

        private void checkKafkaVariable(String where, String variable, String source) {
            if (KafkaClientProperties.NOT_CLIENT_PROPERTIES.contains(variable)) {
                problems.add(where + " sets " + variable + " in " + source
                        + ": a variable of Kafka's shell scripts, ignored by the pipeline");
                return;
            }
            KafkaClientProperties.fromEnv(Map.of(variable, "x")).stringPropertyNames().stream()
                    .filter(p -> !p.equals("bootstrap.servers") || variable.equals(KafkaClientProperties.BOOTSTRAP_SERVERS_ENV))
                    .filter(p -> !KAFKA_CLIENT_PROPERTIES.contains(p))
                    .forEach(p -> problems.add(where + " sets " + variable + " in " + source + ": '" + p
                            + "' is not a Kafka client property"));
        }

        /** The published ports must include every *_PORT the service listens on; the health check must use the management port. */
        private void checkPorts(String where, JsonNode service, Map<String, String> env, Set<String> configKeys,
                String healthPortVariable) {
            Set<Integer> targets = new TreeSet<>();
            for (JsonNode port : service.path("ports")) {
                PortMapping mapping = port(port);
                if (mapping != null) {
                    targets.add(mapping.target);
                }
            }
            for (String key : configKeys) {
                if (key.endsWith("_PORT")) {
                    String value = env.containsKey(key) ? env.get(key) : defaultOf(key);
                    if (value != null && !targets.contains(Integer.parseInt(value.trim()))) {
                        problems.add(where + " listens on " + key + "=" + value + " but publishes only container ports "
                                + targets);
                    }
                }
            }
            String health = join(service.path("healthcheck").path("test"));
            String managementPort = env.getOrDefault(healthPortVariable, defaultOf(healthPortVariable));
            if (!health.contains(":" + managementPort + "/health/ready")) {
                problems.add(where + " health check '" + health + "' does not ask :" + managementPort + "/health/ready");
            }
            if (!health.contains(":" + managementPort + "/health/live")) {
                problems.add(where + " health check '" + health + "' does not ask :" + managementPort + "/health/live");
            }
        }

        private void checkDependsOn(String where, JsonNode service, Set<String> topicJobs) {
            JsonNode dependsOn = service.path("depends_on");
            for (String job : topicJobs) {
                if (!"service_completed_successfully".equals(dependsOn.path(job).path("condition").asText())) {
                    problems.add(where + " must depend on '" + job + "' with condition service_completed_successfully");
                }
            }
        }

        private void checkTopics(String where, Map<String, String> env, Path triggers, Map<String, TopicJob> jobs,
                Set<String> allowedTopics) {
            TopicCatalogue defaults = code.catalogue().apply(Map.of());
            Set<String> defaultNames = Set.of(defaults.raw(), defaults.deadLetter(), defaults.results(),
                    defaults.resultsDeadLetter(), defaults.requestLog(), defaults.resultsLedger(),
                    defaults.agentTopicTemplate());
            for (String variable : code.topicVariables()) {
                if (env.containsKey(variable) && !defaultNames.contains(env.get(variable))) {
                    problems.add(where + " sets " + variable + "=" + env.get(variable)
                            + ", which is not a TopicCatalogue default");
                }
            }
            TopicCatalogue topics;
            try {
                topics = code.catalogue().apply(env);
            } catch (IllegalArgumentException e) {
                problems.add(where + ": " + e.getMessage());
                return;
            }
            Map<String, Boolean> needed = new LinkedHashMap<>(); // topic -> compacted
            needed.put(topics.raw(), false);
            needed.put(topics.deadLetter(), false);
            needed.put(topics.results(), false);
            needed.put(topics.resultsDeadLetter(), false);
            needed.put(topics.requestLog(), true);
            needed.put(topics.resultsLedger(), true);
            allowedTopics.addAll(needed.keySet());
            if (triggers != null) {
                agents(triggers).forEach(agent -> routedAgentTopics.add(topics.agentTopic(agent)));
                allowedTopics.addAll(routedAgentTopics);
            }
            resultsTopics.add(topics.results());
            if (jobs.values().stream().anyMatch(TopicJob::plan)) {
                return; // the plan creates every catalogue topic with the configs of the code
            }
            needed.forEach((topic, compacted) -> {
                Map<String, String> configs = jobs.values().stream().map(j -> j.topics.get(topic))
                        .filter(c -> c != null).findFirst().orElse(null);
                if (configs == null) {
                    if (!jobs.isEmpty()) {
                        problems.add(where + " uses topic " + topic + ", which is not created by " + jobs.keySet());
                    }
                } else if (compacted.booleanValue() != "compact".equals(configs.get("cleanup.policy"))) {
                    problems.add("topic " + topic + " must be created " + (compacted
                            ? "with --config cleanup.policy=compact (TopicCatalogue: compacted)"
                            : "without cleanup.policy=compact (records must not be compacted away)"));
                }
            });
        }

        // ------------------------------------------------------------ the example agent

        /**
         * The example agent reads only {@link AgentSettings}' variables; it must consume a topic the
         * pipeline routes to and answer on the topic the processor reads. It serves nothing over
         * HTTP, so it publishes no port and has no HTTP health check.
         */
        private void checkExampleAgent(String name, JsonNode service, Map<String, TopicJob> jobs) {
            Map<String, String> dockerfileEnv = dockerfileEnv(service);
            Map<String, String> composeEnv = environment(service);
            Map<String, String> env = new LinkedHashMap<>(dockerfileEnv);
            env.putAll(composeEnv);
            String where = "service '" + name + "' (example agent)";

            Map<String, String> sets = new LinkedHashMap<>();
            dockerfileEnv.keySet().forEach(k -> sets.put(k, "its Dockerfile"));
            composeEnv.keySet().forEach(k -> sets.put(k, "docker-compose.yml"));
            sets.forEach((variable, source) -> {
                if (variable.startsWith(KafkaClientProperties.PREFIX)) {
                    checkKafkaVariable(where, variable, source);
                } else if (!code.agentVariables().contains(variable) && !variable.equals(CodeFacts.JAVA_TOOL_OPTIONS)) {
                    problems.add(where + " sets " + variable + " in " + source + ", which it does not read"
                            + " (not an AgentSettings constant, not in the logback files)");
                }
            });
            if (!env.containsKey(AgentSettings.BOOTSTRAP_SERVERS_ENV)) {
                problems.add(where + " does not set " + AgentSettings.BOOTSTRAP_SERVERS_ENV + " (it would try "
                        + AgentSettings.DEFAULT_BOOTSTRAP_SERVERS + ")");
            }

            AgentSettings settings;
            try {
                settings = AgentSettings.fromEnv(env);
            } catch (IllegalArgumentException e) {
                problems.add(where + ": " + e.getMessage());
                return;
            }
            if (!routedAgentTopics.contains(settings.requestTopic())) {
                problems.add(where + " consumes " + settings.requestTopic() + ", which no mounted Trigger routes to"
                        + " (agent topics: " + routedAgentTopics + "); check " + AgentSettings.AGENT_NAME_ENV + " and "
                        + AgentSettings.AGENT_TOPIC_TEMPLATE_ENV);
            }
            if (!resultsTopics.contains(settings.resultsTopic())) {
                problems.add(where + " answers on " + settings.resultsTopic() + ", but the pipeline reads results from "
                        + resultsTopics + "; check " + AgentSettings.RESULTS_TOPIC_ENV);
            }
            if (!service.path("ports").isEmpty()) {
                problems.add(where + " publishes ports " + service.path("ports") + ", but the agent listens on none");
            }
            String health = join(service.path("healthcheck").path("test"));
            if (health.contains("/health")) {
                problems.add(where + " health check '" + health + "' asks an HTTP endpoint the agent does not have");
            }
            checkRestartAndMemory(where, service);
            checkDependsOn(where, service, jobs.keySet());
        }

        // ------------------------------------------------------------ Trigger files

        private Path mountedTriggers(String name, JsonNode service, Map<String, String> env, Set<String> configKeys) {
            if (!configKeys.contains("TRIGGERS_PATH")) {
                return null;
            }
            String inContainer = env.getOrDefault("TRIGGERS_PATH", defaultOf("TRIGGERS_PATH"));
            for (JsonNode volume : service.path("volumes")) {
                String[] mount = volumeMount(volume);
                if (mount != null && mount[1].equals(inContainer)) {
                    return mount[0] == null ? null : root.resolve(mount[0]).normalize();
                }
            }
            problems.add("service '" + name + "' mounts no Trigger folder at TRIGGERS_PATH=" + inContainer);
            return null;
        }

        /** {@code ${VAR}} references of the Trigger files: name -> required (no default). */
        private Map<String, Boolean> triggerVariables(Path triggers) {
            Map<String, Boolean> variables = new TreeMap<>();
            for (Path file : triggerFiles(triggers)) {
                try {
                    String text = Files.readAllLines(file).stream().filter(l -> !l.trim().startsWith("#"))
                            .collect(Collectors.joining("\n"));
                    Matcher m = TRIGGER_REFERENCE.matcher(text);
                    while (m.find()) {
                        variables.merge(m.group(1), m.group(2) == null, Boolean::logicalOr);
                    }
                } catch (IOException e) {
                    problems.add("cannot read " + file + ": " + e.getMessage());
                }
            }
            return variables;
        }

        private Set<String> agents(Path triggers) {
            Map<String, String> env = new HashMap<>();
            triggerVariables(triggers).keySet().forEach(v -> env.put(v, "placeholder-" + v.toLowerCase(java.util.Locale.ROOT)));
            try {
                return new TriggerLoader(env).load(triggers).triggers().stream().map(Trigger::agent)
                        .collect(Collectors.toCollection(TreeSet::new));
            } catch (RuntimeException e) {
                problems.add("the Trigger files in " + triggers + " do not load: " + e.getMessage());
                return Set.of();
            }
        }

        private static List<Path> triggerFiles(Path path) {
            if (Files.isRegularFile(path)) {
                return List.of(path);
            }
            try (Stream<Path> files = Files.list(path)) {
                return files.filter(f -> Files.isRegularFile(f) && !f.getFileName().toString().startsWith(".")
                        && f.getFileName().toString().matches(".*\\.ya?ml")).sorted().toList();
            } catch (IOException e) {
                return List.of();
            }
        }

        // ------------------------------------------------------------ the topics job

        /**
         * What a topics job creates: the topics of a kafka-topics.sh script with their configs, or
         * ({@link #PLAN}) the pipeline's own topic plan, which creates every catalogue topic with
         * the configs the code chooses.
         */
        private record TopicJob(Map<String, Map<String, String>> topics, boolean plan) {

            static final TopicJob PLAN = new TopicJob(Map.of(), true);

            TopicJob(Map<String, Map<String, String>> topics) {
                this(topics, false);
            }
        }

        private static Map<String, TopicJob> topicJobs(JsonNode services) {
            Map<String, TopicJob> jobs = new TreeMap<>();
            services.fields().forEachRemaining(e -> {
                String script = join(e.getValue().path("entrypoint")) + "\n" + join(e.getValue().path("command"));
                if (script.contains("kafka-topics.sh") && script.contains("--create")) {
                    Map<String, Map<String, String>> topics = new LinkedHashMap<>();
                    for (String line : script.replace("\\\n", " ").split("\n")) {
                        Matcher topic = TOPIC_OPTION.matcher(line);
                        if (topic.find()) {
                            Map<String, String> configs = new LinkedHashMap<>();
                            Matcher config = CONFIG_OPTION.matcher(line);
                            while (config.find()) {
                                configs.put(config.group(1), config.group(2));
                            }
                            topics.put(topic.group(1), configs);
                        }
                    }
                    jobs.put(e.getKey(), new TopicJob(topics));
                }
            });
            return jobs;
        }

        // ------------------------------------------------------------ images, files, ports, .env

        private void checkImagesAndFiles(JsonNode services) {
            services.fields().forEachRemaining(e -> {
                String name = e.getKey();
                JsonNode service = e.getValue();
                JsonNode build = service.path("build");
                if (!build.isMissingNode()) {
                    String context = build.isTextual() ? build.asText() : build.path("context").asText(".");
                    Path contextDir = root.resolve(context).normalize();
                    Path dockerfile = contextDir.resolve(build.path("dockerfile").asText("Dockerfile")).normalize();
                    if (!Files.isDirectory(contextDir)) {
                        problems.add("service '" + name + "' builds from " + context + ", which does not exist");
                    } else if (!Files.isRegularFile(dockerfile)) {
                        problems.add("service '" + name + "' builds with " + root.relativize(dockerfile)
                                + ", which does not exist");
                    } else {
                        checkDockerfile(name, dockerfile);
                    }
                } else if (service.has("image") && builtImages.containsKey(interpolate(service.path("image").asText()))) {
                    if (!"never".equals(service.path("pull_policy").asText())) {
                        problems.add("service '" + name + "' runs the image built here; set pull_policy: never so"
                                + " Compose does not try to pull it");
                    }
                } else if (service.has("image")) {
                    checkPinned("service '" + name + "'", service.path("image").asText());
                } else {
                    problems.add("service '" + name + "' has neither image nor build");
                }
                for (JsonNode envFile : service.path("env_file")) {
                    String path = envFile.isTextual() ? envFile.asText() : envFile.path("path").asText();
                    boolean required = envFile.isTextual() || envFile.path("required").asBoolean(true);
                    if (required && !Files.isRegularFile(root.resolve(path))) {
                        problems.add("service '" + name + "' requires env_file " + path
                                + ", which does not exist (use required: false)");
                    }
                }
                for (JsonNode volume : service.path("volumes")) {
                    String[] mount = volumeMount(volume);
                    if (mount != null && mount[0] != null && !Files.exists(root.resolve(mount[0]))) {
                        problems.add("service '" + name + "' mounts " + mount[0] + ", which does not exist");
                    }
                }
            });
        }

        /** Whether a COPY line brings the module's folder, itself or through a parent folder. */
        private static boolean copiesModule(String copyLine, String module) {
            String path = module;
            while (true) {
                if (copyLine.contains(" " + path + "/")) {
                    return true;
                }
                int slash = path.lastIndexOf('/');
                if (slash <= 0) {
                    return false;
                }
                path = path.substring(0, slash);
            }
        }

        private void checkDockerfile(String service, Path dockerfile) {
            List<String> instructions = dockerfileInstructions(dockerfile);
            for (String line : instructions) {
                if (line.startsWith("FROM ")) {
                    checkPinned(root.relativize(dockerfile) + " (service '" + service + "')", line.split("\\s+")[1]);
                }
            }
            // every module of the build must reach the build stage
            try {
                Matcher m = Pattern.compile("<module>([^<]+)</module>").matcher(Files.readString(root.resolve("pom.xml")));
                while (m.find()) {
                    String module = m.group(1).trim();
                    if (instructions.stream().noneMatch(l -> l.startsWith("COPY ") && copiesModule(l, module))) {
                        problems.add(root.relativize(dockerfile) + " does not COPY module " + module + "/ (root pom.xml)");
                    }
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        private void checkPinned(String where, String image) {
            if (image.contains("@sha256:")) {
                return;
            }
            int slash = image.lastIndexOf('/');
            int colon = image.lastIndexOf(':');
            String tag = colon > slash ? image.substring(colon + 1) : "";
            if (tag.isEmpty() || tag.equals("latest") || !PINNED_TAG.matcher(tag).matches()) {
                problems.add(where + " uses image " + image + ": pin a version tag (not latest, not a bare major)");
            }
        }

        /**
         * Only the webhook port listens beyond the host: every other published port binds to a
         * {@code ${..._BIND:-127.0.0.1}} host address, so opening it is a deliberate setting.
         */
        private void checkHostPorts(JsonNode services) {
            Map<String, String> owners = new TreeMap<>();
            services.fields().forEachRemaining(e -> {
                Integer webhookPort = null;
                String subcommand = subcommandOf(e.getValue(), argv(e.getKey(), e.getValue()));
                if ("ingress".equals(subcommand)) {
                    String value = environment(e.getValue()).getOrDefault("INGRESS_PORT", defaultOf("INGRESS_PORT"));
                    webhookPort = value == null ? null : Integer.valueOf(value.trim());
                }
                for (JsonNode port : e.getValue().path("ports")) {
                    PortMapping local = port(port);
                    if (local == null || local.published == null || local.target == (webhookPort == null ? -1 : webhookPort)) {
                        continue;
                    }
                    String raw = port.isObject() ? port.path("host_ip").asText("") : port.asText();
                    if (!raw.matches("\\$\\{[A-Z][A-Z0-9_]*_BIND:-127\\.0\\.0\\.1}:.*")) {
                        problems.add("service '" + e.getKey() + "' publishes port " + local.published
                                + " on every interface; bind it to ${<NAME>_BIND:-127.0.0.1} (only the webhook port"
                                + " listens beyond the host)");
                    }
                }
                for (JsonNode port : e.getValue().path("ports")) {
                    PortMapping mapping = port(port);
                    if (mapping != null && mapping.published != null) {
                        String key = mapping.hostIp + ":" + mapping.published;
                        String other = owners.putIfAbsent(key, e.getKey());
                        if (other != null) {
                            problems.add("host port " + mapping.published + " is published by both '" + other
                                    + "' and '" + e.getKey() + "'");
                        }
                    }
                }
            });
        }

        /** Every .env.example variable is used; every variable compose requires is in .env.example. */
        private void checkInterpolation(String composeText) {
            Set<String> referenced = new TreeSet<>();
            Matcher m = INTERPOLATION.matcher(composeText);
            while (m.find()) {
                if (m.group(1) == null) {
                    continue;
                }
                referenced.add(m.group(1));
                boolean hasDefault = m.group(2) != null && m.group(2).endsWith("-");
                if (!hasDefault && !envExample.containsKey(m.group(1))) {
                    problems.add("docker-compose.yml requires ${" + m.group(1) + "}, which .env.example does not list");
                }
            }
            for (String variable : envExample.keySet()) {
                if (!referenced.contains(variable)) {
                    problems.add(".env.example lists " + variable + ", which docker-compose.yml never uses");
                }
            }
        }

        // ------------------------------------------------------------ parsing helpers

        /** The service's entrypoint: its own, else its Dockerfile's exec-form ENTRYPOINT; empty if neither. */
        private List<String> argv(String name, JsonNode service) {
            List<String> argv = new ArrayList<>();
            JsonNode entrypoint = service.path("entrypoint");
            if (entrypoint.isArray()) {
                entrypoint.forEach(a -> argv.add(a.asText()));
            } else if (entrypoint.isTextual()) {
                argv.addAll(List.of(entrypoint.asText().trim().split("\\s+")));
            } else {
                Path dockerfile = dockerfileOf(service);
                String line = dockerfile == null ? "" : dockerfileInstructions(dockerfile).stream()
                        .filter(l -> l.startsWith("ENTRYPOINT ")).reduce((a, b) -> b).orElse("");
                if (!line.isEmpty()) {
                    try {
                        argv.addAll(new ObjectMapper().readValue(line.substring("ENTRYPOINT ".length()),
                                new TypeReference<List<String>>() { }));
                    } catch (IOException e) {
                        problems.add("service '" + name + "': use the exec form ENTRYPOINT [\"java\", ...] in "
                                + root.relativize(dockerfile));
                    }
                }
            }
            return argv;
        }

        /** A port entry as Compose reads it: interpolated first (host addresses may be variables). */
        private PortMapping port(JsonNode port) {
            return PortMapping.parse(port.isTextual() ? com.fasterxml.jackson.databind.node.TextNode.valueOf(interpolate(port.asText())) : port);
        }

        /** The pipeline.jar subcommand a service runs (after the jar in argv, else its command), or null. */
        private static String subcommandOf(JsonNode service, List<String> argv) {
            int jar = -1;
            for (int i = 0; i < argv.size(); i++) {
                if (argv.get(i).endsWith("pipeline.jar")) {
                    jar = i;
                }
            }
            if (jar < 0) {
                return null;
            }
            if (jar + 1 < argv.size()) {
                return argv.get(jar + 1);
            }
            JsonNode command = service.path("command");
            return command.isArray() && !command.isEmpty() ? command.get(0).asText() : null;
        }

        private static boolean runsExampleAgent(List<String> argv) {
            return argv.stream().anyMatch(a -> a.endsWith("/" + CodeFacts.EXAMPLE_AGENT_JAR)
                    || a.equals(CodeFacts.EXAMPLE_AGENT_JAR));
        }

        /** The subcommand of pipeline.jar the service runs, or null when it does not run our code. */
        private String ourSubcommand(String name, JsonNode service, List<String> argv) {
            int jar = argv.indexOf("/app/pipeline.jar");
            if (jar < 0) {
                jar = argv.stream().filter(a -> a.endsWith("pipeline.jar")).findFirst().map(argv::indexOf).orElse(-1);
            }
            if (jar < 0) {
                return null;
            }
            String subcommand = jar + 1 < argv.size() ? argv.get(jar + 1) : null;
            JsonNode command = service.path("command");
            if (subcommand == null && command.isArray() && !command.isEmpty()) {
                subcommand = command.get(0).asText();
            }
            if (subcommand == null || !code.subcommands().contains(subcommand) && !PENDING_SUBCOMMANDS.contains(subcommand)) {
                problems.add("service '" + name + "' runs pipeline.jar with subcommand " + subcommand
                        + ", not one of " + code.subcommands());
                return null;
            }
            if (!code.configKeysBySubcommand().containsKey(subcommand)) {
                problems.add("service '" + name + "' runs '" + subcommand + "', which this check does not know");
                return null;
            }
            return subcommand;
        }

        private Path dockerfileOf(JsonNode service) {
            JsonNode build = service.path("build");
            if (build.isMissingNode()) {
                return service.hasNonNull("image") ? builtImages.get(interpolate(service.path("image").asText())) : null;
            }
            String context = build.isTextual() ? build.asText() : build.path("context").asText(".");
            Path file = root.resolve(context).resolve(build.path("dockerfile").asText("Dockerfile")).normalize();
            return Files.isRegularFile(file) ? file : null;
        }

        /** Dockerfile instructions, continuation lines joined, comments dropped. */
        private static List<String> dockerfileInstructions(Path dockerfile) {
            try {
                String text = Files.readAllLines(dockerfile).stream().filter(l -> !l.trim().startsWith("#"))
                        .collect(Collectors.joining("\n"));
                return Stream.of(text.replaceAll("\\\\\\s*\n", " ").split("\n")).map(String::trim)
                        .filter(l -> !l.isEmpty()).toList();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        private Map<String, String> dockerfileEnv(JsonNode service) {
            Path dockerfile = dockerfileOf(service);
            Map<String, String> env = new LinkedHashMap<>();
            if (dockerfile == null) {
                return env;
            }
            Pattern pair = Pattern.compile("([A-Za-z_][A-Za-z0-9_]*)=(\"[^\"]*\"|\\S*)");
            for (String line : dockerfileInstructions(dockerfile)) {
                if (line.startsWith("ENV ")) {
                    Matcher m = pair.matcher(line.substring(4));
                    while (m.find()) {
                        env.put(m.group(1), m.group(2).replace("\"", ""));
                    }
                }
            }
            return env;
        }

        /** The service's environment (map or list form), interpolated as Compose would with .env.example. */
        private Map<String, String> environment(JsonNode service) {
            Map<String, String> env = new LinkedHashMap<>();
            JsonNode node = service.path("environment");
            if (node.isObject()) {
                node.fields().forEachRemaining(e -> env.put(e.getKey(), interpolate(e.getValue().asText())));
            } else {
                for (JsonNode item : node) {
                    String[] kv = item.asText().split("=", 2);
                    env.put(kv[0], kv.length > 1 ? interpolate(kv[1]) : "");
                }
            }
            for (JsonNode envFile : service.path("env_file")) {
                Path file = root.resolve(envFile.isTextual() ? envFile.asText() : envFile.path("path").asText());
                if (Files.isRegularFile(file)) {
                    readEnvFile(file).forEach(env::putIfAbsent);
                }
            }
            return env;
        }

        private String interpolate(String value) {
            Matcher m = INTERPOLATION.matcher(value);
            StringBuilder out = new StringBuilder();
            while (m.find()) {
                String replacement;
                if (m.group(1) == null) {
                    replacement = "$";
                } else if (envExample.containsKey(m.group(1)) && !envExample.get(m.group(1)).isEmpty()) {
                    replacement = envExample.get(m.group(1));
                } else {
                    replacement = m.group(2) != null && m.group(2).endsWith("-") ? m.group(3) : "";
                }
                m.appendReplacement(out, Matcher.quoteReplacement(replacement));
            }
            m.appendTail(out);
            return out.toString();
        }

        /** [host path or null for a named volume, container path] */
        private String[] volumeMount(JsonNode volume) {
            String source;
            String target;
            if (volume.isTextual()) {
                String[] parts = interpolate(volume.asText()).split(":");
                if (parts.length < 2) {
                    return null;
                }
                source = parts[0];
                target = parts[1];
            } else {
                source = interpolate(volume.path("source").asText());
                target = volume.path("target").asText();
                if (!"bind".equals(volume.path("type").asText())) {
                    return new String[] {null, target};
                }
            }
            boolean bind = source.startsWith(".") || source.startsWith("/") || source.startsWith("~");
            return new String[] {bind ? source : null, target};
        }

        private String defaultOf(String key) {
            for (List<String> classes : CodeFacts.CONFIG_CLASSES.values()) {
                for (String className : classes) {
                    try {
                        Class<?> type = Class.forName(className);
                        for (Method method : type.getMethods()) {
                            if (Modifier.isStatic(method.getModifiers()) && method.getParameterCount() == 0
                                    && ConfigDef.class.equals(method.getReturnType())) {
                                ConfigDef.ConfigKey configKey = ((ConfigDef) method.invoke(null)).configKeys().get(key);
                                if (configKey != null && configKey.hasDefault() && configKey.defaultValue != null) {
                                    return String.valueOf(configKey.defaultValue);
                                }
                            }
                        }
                    } catch (ReflectiveOperationException e) {
                        // absent class: no default from it
                    }
                }
            }
            return null;
        }

        private static String join(JsonNode node) {
            if (node.isArray()) {
                List<String> parts = new ArrayList<>();
                node.forEach(n -> parts.add(n.asText()));
                return String.join("\n", parts);
            }
            return node.isValueNode() ? node.asText() : "";
        }

        static Map<String, String> readEnvFile(Path file) {
            Map<String, String> vars = new LinkedHashMap<>();
            try {
                for (String line : Files.readAllLines(file)) {
                    String trimmed = line.trim();
                    if (trimmed.isEmpty() || trimmed.startsWith("#") || !trimmed.contains("=")) {
                        continue;
                    }
                    String[] kv = trimmed.split("=", 2);
                    vars.put(kv[0].trim(), kv[1].trim());
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            return vars;
        }

        private record PortMapping(String hostIp, Integer published, int target) {

            static PortMapping parse(JsonNode port) {
                if (port.isObject()) {
                    JsonNode published = port.path("published");
                    return new PortMapping(port.path("host_ip").asText(""),
                            published.isMissingNode() ? null : Integer.valueOf(published.asText()),
                            port.path("target").asInt());
                }
                String[] parts = port.asText().replaceAll("/(tcp|udp)$", "").split(":");
                try {
                    return switch (parts.length) {
                        case 1 -> new PortMapping("", null, Integer.parseInt(parts[0]));
                        case 2 -> new PortMapping("", Integer.valueOf(parts[0]), Integer.parseInt(parts[1]));
                        case 3 -> new PortMapping(parts[0], Integer.valueOf(parts[1]), Integer.parseInt(parts[2]));
                        default -> null;
                    };
                } catch (NumberFormatException e) {
                    return null; // ranges are not used here
                }
            }
        }
    }
}
