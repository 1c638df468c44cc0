package dev.pdpipeline.bench.process;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.pdpipeline.bench.load.NoopServer;
import java.time.Duration;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** A benchmark's child JVMs (broker, subjects) never outlive the benchmark. */
class ChildJvmIT {

    @Test
    void closeStopsTheChildCleanlyThroughItsStandardInput() {
        ChildJvm child = ChildJvm.builder("noop").heap("128m").main(NoopServer.class.getName()).start();
        int port = Integer.parseInt(child.awaitLine(NoopServer.READY_PREFIX, Duration.ofSeconds(60)));
        assertThat(port).isPositive();
        assertThat(child.rssKb()).isGreaterThan(10_000);

        child.close();

        assertThat(child.isAlive()).isFalse();
        assertThat(child.exitValue()).as("exited by itself at end of input, not by a signal").isZero();
    }

    @Test
    void theChildExitsWhenItsParentIsKilled() {
        ChildJvm parent = ChildJvm.builder("parent").heap("128m").main(ParentOfANoopServer.class.getName()).start();
        long grandchild = Long.parseLong(parent.awaitLine("CHILD ", Duration.ofSeconds(90)));
        assertThat(alive(grandchild)).isTrue();

        parent.kill();

        await().atMost(Duration.ofSeconds(60)).until(() -> !alive(grandchild));
    }

    private static boolean alive(long pid) {
        Optional<ProcessHandle> p = ProcessHandle.of(pid);
        return p.isPresent() && p.get().isAlive();
    }
}
