package dev.pdpipeline.bench.process;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The command a child JVM is started with, and what counts as its clean stop. */
class ChildJvmTest {

    @Test
    void aClassPathChildRunsItsMainInsideParentWatchSoItDiesWithTheBenchmark() {
        List<String> command = ChildJvm.builder("noop").heap("128m").classPath("a.jar").main("x.Main", "1", "2")
                .command();

        assertThat(command.get(0)).isEqualTo(ChildJvm.javaExecutable());
        assertThat(command).contains("-Xmx128m");
        assertThat(command.subList(command.indexOf("-cp"), command.size()))
                .containsExactly("-cp", "a.jar", ParentWatch.class.getName(), "x.Main", "1", "2");
    }

    @Test
    void aChildThatDoesNotWatchItsParentRunsItsMainDirectlyWithItsOwnLogging() {
        List<String> command = ChildJvm.builder("part").classPath("a.jar").watchParent(false).inheritLogging(false)
                .main("x.Main", "processor").command();

        assertThat(command).endsWith("-cp", "a.jar", "x.Main", "processor");
        assertThat(command).doesNotContain(ParentWatch.class.getName())
                .noneMatch(arg -> arg.startsWith("-Dlogback.configurationFile="));
    }

    @Test
    void aJarChildRunsJavaDashJarAfterItsOptions() {
        List<String> command = ChildJvm.builder("part").heap("256m").jvmOptions("-XX:+UseSerialGC")
                .jar("pipeline.jar", "ingress").command();

        assertThat(command).containsExactly(ChildJvm.javaExecutable(), "-Xmx256m", "-XX:+UseSerialGC", "-jar",
                "pipeline.jar", "ingress");
    }

    @Test
    void jvmOptionsAreSplitOnWhiteSpaceAndNullOrBlankAddNothing() {
        List<String> command = ChildJvm.builder("part").jvmOptions(null).jvmOptions("  ")
                .jvmOptions(" -Da=1 \t -XX:StartFlightRecording  ").jar("p.jar").command();

        assertThat(command.subList(2, command.indexOf("-jar"))).containsExactly("-Da=1", "-XX:StartFlightRecording");
    }

    @Test
    void onlyExitZeroOrTheJvmsStatusAfterSigtermCountAsACleanStop() {
        assertThat(ChildJvm.stoppedCleanly(0)).isTrue();
        assertThat(ChildJvm.stoppedCleanly(143)).isTrue();
        assertThat(ChildJvm.stoppedCleanly(137)).as("SIGKILL").isFalse();
        assertThat(ChildJvm.stoppedCleanly(1)).isFalse();
        assertThat(ChildJvm.stoppedCleanly(-1)).as("still running").isFalse();
    }
}
