package dev.pdpipeline.bench.process;

import dev.pdpipeline.bench.load.NoopServer;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;

/** A benchmark stand-in for {@link ChildJvmIT}: starts one child JVM, prints its pid, waits. */
public final class ParentOfANoopServer {

    private ParentOfANoopServer() {
    }

    public static void main(String[] args) throws InterruptedException {
        ChildJvm child = ChildJvm.builder("noop").heap("128m").main(NoopServer.class.getName()).start();
        child.awaitLine(NoopServer.READY_PREFIX, Duration.ofSeconds(60));
        System.out.println("CHILD " + child.pid());
        System.out.flush();
        new CountDownLatch(1).await();
    }
}
