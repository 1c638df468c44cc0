package dev.pdpipeline.launcher.cli;

import dev.pdpipeline.launcher.local.LocalPipeline;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code bin/pipeline local}: everything in one process, with an embedded Kafka. */
@Command(name = "local", mixinStandardHelpOptions = true,
        description = {"Run embedded Kafka + ingress + processor in one process. No Docker needed.",
            "Kafka binds to KAFKA_BOOTSTRAP_SERVERS (default localhost:9092) and keeps its data in"
                + " LOCAL_DATA_DIR (default .local-data in the repository), so history survives a restart.",
            "The operator console listens on http://127.0.0.1:8090/ (CONSOLE_HOST, CONSOLE_PORT; docs/console.md).",
            "Triggers come from TRIGGERS_PATH (default examples/triggers); PAGERDUTY_WEBHOOK_SECRET"
                + " defaults to a development secret that send-test-event also uses."})
public final class LocalCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = "--ingress-port", description = "Webhook port (overrides INGRESS_PORT, default 8080).")
    Integer ingressPort;

    @Option(names = "--management-port", description = "Health and metrics port (overrides MANAGEMENT_PORT, default 8081).")
    Integer managementPort;

    @Option(names = "--console-port", description = "Operator console port (overrides CONSOLE_PORT, default 8090).")
    Integer consolePort;

    @Option(names = "--triggers", description = "Trigger file or folder (overrides TRIGGERS_PATH).")
    Path triggers;

    @Option(names = "--data-dir", description = "Where Kafka and Streams keep data (overrides LOCAL_DATA_DIR).")
    Path dataDir;

    @Override
    public Integer call() throws Exception {
        Map<String, String> env = Environment.current();
        Path home = Environment.home(env);
        if (ingressPort != null) {
            env.put("INGRESS_PORT", ingressPort.toString());
        }
        if (managementPort != null) {
            env.put("MANAGEMENT_PORT", managementPort.toString());
        }
        if (consolePort != null) {
            env.put("CONSOLE_PORT", consolePort.toString());
        }
        if (triggers != null) {
            env.put("TRIGGERS_PATH", triggers.toAbsolutePath().toString());
        }
        if (dataDir != null) {
            env.put(LocalPipeline.LOCAL_DATA_DIR_ENV, dataDir.toAbsolutePath().toString());
        }
        Map<String, String> localEnv = LocalPipeline.withLocalDefaults(env, home);
        LocalPipeline pipeline = LocalPipeline.start(localEnv);
        LocalCommandBanner.print(spec.commandLine().getOut(), pipeline, localEnv);
        return Lifecycle.awaitShutdown(pipeline.resources(), pipeline.health());
    }
}
