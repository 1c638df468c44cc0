package dev.pdpipeline.examples.agent;

import java.util.concurrent.CountDownLatch;

/**
 * Runs the example agent alone until interrupted:
 * {@code java -jar examples/agent/target/example-agent-*-all.jar}, configured by
 * {@code KAFKA_BOOTSTRAP_SERVERS}, {@code AGENT_NAME}, {@code AGENT_TOPIC_TEMPLATE},
 * {@code AGENT_GROUP_ID}, {@code RESULTS_TOPIC} and {@code KAFKA_*} client settings.
 */
public final class Main {

    private Main() {
    }

    public static void main(String[] args) throws InterruptedException {
        // Our logging setup unless the user chose one; set before the first logger exists.
        if (System.getProperty("logback.configurationFile") == null
                && Main.class.getResource("/example-agent-logback.xml") != null) {
            System.setProperty("logback.configurationFile", "example-agent-logback.xml");
        }
        ExampleAgent agent;
        try {
            agent = ExampleAgent.fromEnv(System.getenv());
        } catch (IllegalArgumentException e) {
            System.err.println("Configuration error: " + e.getMessage());
            System.exit(3);
            return;
        }
        CountDownLatch shutdownRequested = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            shutdownRequested.countDown();
            agent.close();
        }, "example-agent-shutdown"));
        agent.start();
        agent.awaitTermination();
        if (shutdownRequested.getCount() > 0) {
            // the agent stopped by itself (a fatal error, already logged): exit so a supervisor
            // (docker compose's restart policy, Kubernetes) starts a fresh one
            System.exit(1);
        }
    }
}
