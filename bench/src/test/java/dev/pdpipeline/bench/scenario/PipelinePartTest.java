package dev.pdpipeline.bench.scenario;

import static org.assertj.core.api.Assertions.assertThat;

import dev.pdpipeline.bench.process.ChildJvm;
import dev.pdpipeline.bench.process.ParentWatch;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** A pipeline part is started as users start it, on a management port the benchmark knows. */
class PipelinePartTest {

    @Test
    void aPartGetsALoopbackManagementServerOnAFreePortWhenTheEnvironmentSaysZeroOrNothing() {
        for (Map<String, String> env : List.of(Map.<String, String>of(), Map.of("MANAGEMENT_PORT", "0"))) {
            Map<String, String> settings = PipelinePart.settings(env);

            assertThat(settings).containsEntry("MANAGEMENT_HOST", "127.0.0.1");
            assertThat(Integer.parseInt(settings.get("MANAGEMENT_PORT"))).isPositive();
        }
    }

    @Test
    void aManagementServerTheEnvironmentNamesIsKept() {
        Map<String, String> settings = PipelinePart.settings(Map.of("MANAGEMENT_HOST", "0.0.0.0",
                "MANAGEMENT_PORT", "9464", "RAW_TOPIC", "raw"));

        assertThat(settings).containsExactlyInAnyOrderEntriesOf(Map.of("MANAGEMENT_HOST", "0.0.0.0",
                "MANAGEMENT_PORT", "9464", "RAW_TOPIC", "raw"));
    }

    @Test
    void aPartRunsTheLauncherWithThePartAsItsOnlyArgumentAndNoParentWatch() {
        List<String> command = PipelinePart.builder("processor", Map.of(), "384m", Path.of("processor.log"))
                .command();

        List<String> launcherAndPart = new ArrayList<>(PipelinePart.launcher());
        launcherAndPart.add("processor");
        assertThat(command.get(0)).isEqualTo(ChildJvm.javaExecutable());
        assertThat(command.get(1)).isEqualTo("-Xmx384m");
        assertThat(command).endsWith(launcherAndPart.toArray(String[]::new));
        assertThat(command).doesNotContain(ParentWatch.class.getName())
                .noneMatch(arg -> arg.startsWith("-Dlogback.configurationFile="));
    }

    @Test
    void thePartIsReadyWhenItsManagementServerSaysSo() {
        assertThat(PipelinePart.readyUrl(9464)).hasToString("http://127.0.0.1:9464/health/ready");
    }
}
