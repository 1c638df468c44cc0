package dev.pdpipeline.bench.kafka;

import dev.pdpipeline.common.kafka.EmbeddedKafka;
import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;

/**
 * The benchmark's broker in a JVM of its own ({@code BenchKafka}'s default): starts one
 * {@link EmbeddedKafka} (KRaft, single node, free port, data under the directory given as the
 * first argument or a temporary one), prints {@code BOOTSTRAP host:port} on standard output and runs
 * until the JVM is asked to stop (the parent closes our standard input, see
 * {@code ParentWatch}), closing the broker on the way out.
 */
public final class BrokerMain {

    /** The line the parent waits for. */
    public static final String READY_PREFIX = "BOOTSTRAP ";

    private BrokerMain() {
    }

    public static void main(String[] args) throws InterruptedException {
        EmbeddedKafka.Builder builder = EmbeddedKafka.builder().port(0);
        if (args.length > 0 && !args[0].isBlank()) {
            builder.dataDir(Path.of(args[0]));
        }
        EmbeddedKafka kafka = builder.start();
        Runtime.getRuntime().addShutdownHook(new Thread(kafka::close, "bench-broker-shutdown"));
        System.out.println(READY_PREFIX + kafka.bootstrapServers());
        System.out.flush();
        new CountDownLatch(1).await();
    }
}
