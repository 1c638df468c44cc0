package dev.pdpipeline.bench.process;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.pdpipeline.bench.load.NoopServer;
import java.net.URI;
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

    @Test
    void stopIsASigtermThatAJvmAnswersWithACleanExit() {
        ChildJvm child = ChildJvm.builder("noop").heap("128m").watchParent(false)
                .main(NoopServer.class.getName()).start();
        child.awaitLine(NoopServer.READY_PREFIX, Duration.ofSeconds(60));

        int exit = child.stop(Duration.ofSeconds(30));

        assertThat(exit).as("128 + SIGTERM, after the shutdown hooks").isEqualTo(143);
        assertThat(ChildJvm.stoppedCleanly(exit)).isTrue();
        assertThat(child.isAlive()).isFalse();
    }

    @Test
    void awaitReadyGivesUpWithTheReasonAndTheLogWhenTheChildExitsFirst() {
        // ParentWatch without a main class prints its usage on standard error and exits 2
        ChildJvm child = ChildJvm.builder("broken").heap("64m").watchParent(false).watchOutput(false)
                .readiness(URI.create("http://127.0.0.1:1/health/ready"))
                .main(ParentWatch.class.getName()).start();

        assertThatThrownBy(() -> child.awaitReady(Duration.ofSeconds(60)))
                .isInstanceOfSatisfying(ChildJvm.NotReadyException.class, e -> {
                    assertThat(e.exited()).isTrue();
                    assertThat(e.reason()).isEqualTo("the broken exited with status 2 before it was ready");
                    assertThat(e.getMessage()).contains("usage: ParentWatch");
                });
        child.close();
    }

    private static boolean alive(long pid) {
        Optional<ProcessHandle> p = ProcessHandle.of(pid);
        return p.isPresent() && p.get().isAlive();
    }
}
