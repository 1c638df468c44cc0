package dev.pdpipeline.launcher.cli;

import dev.pdpipeline.common.trigger.Trigger;
import dev.pdpipeline.common.trigger.TriggerLoader;
import dev.pdpipeline.common.trigger.TriggerSet;
import dev.pdpipeline.launcher.local.LocalPipeline;
import java.io.PrintWriter;
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
            "Triggers come from TRIGGERS_PATH (default examples/triggers); PAGERDUTY_WEBHOOK_SECRET"
                + " defaults to a development secret that send-test-event also uses."})
public final class LocalCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = "--ingress-port", description = "Webhook port (overrides INGRESS_PORT, default 8080).")
    Integer ingressPort;

    @Option(names = "--management-port", description = "Health and metrics port (overrides MANAGEMENT_PORT, default 8081).")
    Integer managementPort;

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
        if (triggers != null) {
            env.put("TRIGGERS_PATH", triggers.toAbsolutePath().toString());
        }
        if (dataDir != null) {
            env.put(LocalPipeline.LOCAL_DATA_DIR_ENV, dataDir.toAbsolutePath().toString());
        }
        Map<String, String> localEnv = LocalPipeline.withLocalDefaults(env, home);
        LocalPipeline pipeline = LocalPipeline.start(localEnv);
        printBanner(spec.commandLine().getOut(), pipeline, localEnv);
        Lifecycle.awaitShutdown(pipeline.resources());
        return 0;
    }

    static void printBanner(PrintWriter out, LocalPipeline pipeline, Map<String, String> env) {
        TriggerSet triggers = new TriggerLoader(env).load(Path.of(env.get("TRIGGERS_PATH")));
        out.println();
        out.println("Pipeline running locally (Ctrl-C to stop)");
        out.printf("  Kafka (embedded)  %s   data in %s%n", pipeline.bootstrapServers(),
                env.get(LocalPipeline.LOCAL_DATA_DIR_ENV));
        out.printf("  Webhooks          POST http://localhost:%d/webhooks/pagerduty%n", pipeline.ingressPort());
        out.printf("  Health, metrics   http://localhost:%d/health/ready   http://localhost:%d/metrics%n",
                pipeline.managementPort(), pipeline.managementPort());
        out.printf("  Triggers          %s (reloaded on change)%n", env.get("TRIGGERS_PATH"));
        out.printf("  Raw topic         %s%n", pipeline.topics().raw());
        for (Trigger trigger : triggers.triggers()) {
            out.printf("  Trigger %-20s -> %s%s%n", trigger.name(), pipeline.topics().agentTopic(trigger.agent()),
                    trigger.enabled() ? "" : " (disabled)");
        }
        out.println();
        out.printf("  Try:    bin/pipeline send-test-event --url http://localhost:%d/webhooks/pagerduty%n",
                pipeline.ingressPort());
        out.printf("  Watch:  kcat -b %s -C -t %s%n", pipeline.bootstrapServers(),
                triggers.triggers().isEmpty() ? pipeline.topics().raw()
                        : pipeline.topics().agentTopic(triggers.triggers().get(0).agent()));
        out.println();
        out.flush();
    }
}
