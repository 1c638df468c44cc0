package dev.pdpipeline.launcher.cli;

import dev.pdpipeline.common.trigger.Trigger;
import dev.pdpipeline.common.trigger.TriggerLoader;
import dev.pdpipeline.common.trigger.TriggerSet;
import dev.pdpipeline.launcher.local.LocalPipeline;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Map;

/** What {@code bin/pipeline local} prints once everything is up: where each part listens. */
public final class LocalCommandBanner {

    private LocalCommandBanner() {
    }

    public static void print(PrintWriter out, LocalPipeline pipeline, Map<String, String> env) {
        TriggerSet triggers = new TriggerLoader(env).load(Path.of(env.get("TRIGGERS_PATH")));
        out.println();
        out.println("Pipeline running locally (Ctrl-C to stop)");
        out.printf("  Kafka (embedded)  %s   data in %s%n", pipeline.bootstrapServers(),
                env.get(LocalPipeline.LOCAL_DATA_DIR_ENV));
        out.printf("  Webhooks          POST http://localhost:%d/webhooks/pagerduty%n", pipeline.ingressPort());
        out.printf("  Health, metrics   http://localhost:%d/health/ready   http://localhost:%d/metrics%n",
                pipeline.managementPort(), pipeline.managementPort());
        out.printf("  Console           http://localhost:%d/%n", pipeline.consolePort());
        out.printf("  Triggers          %s (reloaded on change)%n", env.get("TRIGGERS_PATH"));
        out.printf("  Raw topic         %s%n", pipeline.topics().raw());
        for (Trigger trigger : triggers.triggers()) {
            out.printf("  Trigger %-20s -> %s%s%n", trigger.name(), String.join(", ", trigger.targets().stream()
                    .map(t -> pipeline.topics().agentTopic(t.name())).distinct().toList()),
                    trigger.enabled() ? "" : " (disabled)");
        }
        out.println();
        out.printf("  Try:    bin/pipeline send-test-event --url http://localhost:%d/webhooks/pagerduty%n",
                pipeline.ingressPort());
        out.printf("  Watch:  kcat -b %s -C -t %s%n", pipeline.bootstrapServers(),
                triggers.triggers().isEmpty() ? pipeline.topics().raw()
                        : pipeline.topics().agentTopic(triggers.triggers().get(0).agent()));
        out.printf("  Answers: kcat -b %s -C -t %s   (the example agent's results; notes are logged"
                + " while no PAGERDUTY_API_TOKEN is set)%n", pipeline.bootstrapServers(), pipeline.topics().results());
        out.println();
        out.flush();
    }
}
