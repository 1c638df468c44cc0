package dev.pdpipeline.bench.scenario;

import dev.pdpipeline.bench.kafka.BenchKafka;
import dev.pdpipeline.bench.process.ChildJvm;
import dev.pdpipeline.common.topics.TopicCatalogue;
import dev.pdpipeline.launcher.Pipeline;
import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.jar.JarFile;

/**
 * What is particular to starting one part of the pipeline ({@code ingress}, {@code processor}) the
 * way users start it: {@code java -jar launcher/target/pipeline.jar <part>} (what {@code bin/pipeline}
 * runs), configured only by its environment, with its management server on a loopback port whose
 * {@code /health/ready} says when it is ready. Starting, watching and stopping the JVM is
 * {@link ChildJvm}'s; it is stopped with {@link ChildJvm#stop SIGTERM} like a container.
 *
 * <p>Extra JVM options for every such child (e.g. a JFR recording): {@code BENCH_CHILD_JAVA_OPTS}.
 */
final class PipelinePart {

    /** Extra options for the child JVMs, split on white space. */
    static final String CHILD_JAVA_OPTS = "BENCH_CHILD_JAVA_OPTS";

    private static final String MANAGEMENT_HOST = "MANAGEMENT_HOST";
    private static final String MANAGEMENT_PORT = "MANAGEMENT_PORT";

    private PipelinePart() {
    }

    /**
     * Starts {@code bin/pipeline <part>} in a child JVM with {@code -Xmx<heap>} and {@code env}
     * added to this process's environment; its management server on a free loopback port (unless
     * {@code env} names one), its standard output and error into {@code log}.
     */
    static ChildJvm start(String part, Map<String, String> env, String heap, Path log) {
        return builder(part, env, heap, log).start();
    }

    /** {@link #start}, before it starts. */
    static ChildJvm.Builder builder(String part, Map<String, String> env, String heap, Path log) {
        Map<String, String> settings = settings(env);
        ChildJvm.Builder builder = ChildJvm.builder(part).heap(heap).jvmOptions(System.getenv(CHILD_JAVA_OPTS))
                .env(settings).log(log)
                // the launcher logs at INFO: straight into the file, not through this JVM
                .watchOutput(false)
                .readiness(readyUrl(Integer.parseInt(settings.get(MANAGEMENT_PORT))));
        Path jar = launcherJar();
        if (jar != null) {
            return builder.jar(jar.toString(), part);
        }
        // as users run it: the launcher's main and its own logging, without a ParentWatch in between
        return builder.watchParent(false).inheritLogging(false).main(Pipeline.class.getName(), part);
    }

    /**
     * {@code env} with {@code MANAGEMENT_HOST} on loopback unless it names one, and a free
     * {@code MANAGEMENT_PORT} unless it names one other than 0 (the benchmark must know the port to
     * ask it whether the part is ready).
     */
    static Map<String, String> settings(Map<String, String> env) {
        Map<String, String> settings = new HashMap<>(env);
        settings.putIfAbsent(MANAGEMENT_HOST, "127.0.0.1");
        String port = settings.get(MANAGEMENT_PORT);
        if (port == null || port.equals("0")) {
            settings.put(MANAGEMENT_PORT, Integer.toString(Harness.freePort()));
        }
        return settings;
    }

    /** The readiness URL of a part whose management server listens on loopback {@code port}. */
    static URI readyUrl(int port) {
        return URI.create("http://127.0.0.1:" + port + "/health/ready");
    }

    /**
     * How the launcher is run: {@code -jar pipeline.jar} when the launcher on this class path is
     * its executable jar (the usual case after {@code ./mvnw package}), else its main class on this
     * JVM's class path.
     */
    static List<String> launcher() {
        Path jar = launcherJar();
        return jar != null ? List.of("-jar", jar.toString())
                : List.of("-cp", System.getProperty("java.class.path"), Pipeline.class.getName());
    }

    /** The launcher's executable jar when {@link Pipeline} comes from one, else null. */
    private static Path launcherJar() {
        try {
            Path location = Path.of(Pipeline.class.getProtectionDomain().getCodeSource().getLocation().toURI());
            if (Files.isRegularFile(location)) {
                try (JarFile jar = new JarFile(location.toFile())) {
                    if (jar.getManifest() != null && Pipeline.class.getName().equals(
                            jar.getManifest().getMainAttributes().getValue("Main-Class"))) {
                        return location;
                    }
                }
            }
        } catch (URISyntaxException | IOException | RuntimeException e) {
            // fall back to the class path
        }
        return null;
    }

    /**
     * The notes writer's topics and the decisions and re-drive topics, named for this run, so
     * that benchmarks sharing one broker never read each other's records.
     */
    static Map<String, String> runTopics(BenchKafka kafka) {
        Map<String, String> env = new HashMap<>();
        env.put(TopicCatalogue.RESULTS_TOPIC_ENV, kafka.unique("results"));
        env.put(TopicCatalogue.RESULTS_DLQ_TOPIC_ENV, kafka.unique("results-dlq"));
        env.put(TopicCatalogue.RESULTS_LEDGER_TOPIC_ENV, kafka.unique("ledger"));
        env.put(TopicCatalogue.DECISIONS_TOPIC_ENV, kafka.unique("decisions"));
        env.put(TopicCatalogue.REDRIVES_TOPIC_ENV, kafka.unique("redrives"));
        return env;
    }
}
