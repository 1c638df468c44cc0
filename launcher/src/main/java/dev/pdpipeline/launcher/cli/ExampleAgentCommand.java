package dev.pdpipeline.launcher.cli;

import dev.pdpipeline.examples.agent.ExampleAgent;
import dev.pdpipeline.launcher.InvalidSettingException;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;

/**
 * {@code bin/pipeline example-agent}: the reference agent alone, so the one container image runs it
 * with a command like every other role.
 */
@Command(name = "example-agent", mixinStandardHelpOptions = true,
        description = {"Run the example agent (docs/agents.md): answer each request on its agent topic with a note"
                + " on the results topic.",
            "Configured by environment variables: KAFKA_BOOTSTRAP_SERVERS, AGENT_NAME, AGENT_TOPIC_TEMPLATE,"
                + " AGENT_GROUP_ID, RESULTS_TOPIC, KAFKA_*.",
            "Exit codes: 0 stopped, 1 the agent failed (its log says why), 3 invalid configuration."})
public final class ExampleAgentCommand implements Callable<Integer> {

    @Override
    public Integer call() throws InterruptedException {
        ExampleAgent agent;
        try {
            agent = ExampleAgent.fromEnv(Environment.current());
        } catch (IllegalArgumentException e) {
            throw new InvalidSettingException(e.getMessage());
        }
        CountDownLatch shutdownRequested = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            shutdownRequested.countDown();
            agent.close();
        }, "example-agent-shutdown"));
        agent.start();
        agent.awaitTermination();
        // stopped by itself (a fatal error, already logged): 1, so a supervisor starts a fresh one
        return shutdownRequested.getCount() > 0 ? 1 : 0;
    }
}
