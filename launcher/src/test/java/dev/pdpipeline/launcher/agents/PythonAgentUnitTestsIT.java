package dev.pdpipeline.launcher.agents;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The Python example agent's own unit tests ({@code examples/agent-python/test_agent.py}), run
 * with the same interpreter as {@link PythonAgentIT}; they fail, never skip, without it.
 */
class PythonAgentUnitTestsIT {

    @Test
    void thePythonAgentsUnitTestsPass() throws Exception {
        PythonAgentIT.requirePythonWithModules();
        Process tests = new ProcessBuilder(PythonAgentIT.PYTHON, "-B", "-m", "unittest", "-v", "test_agent")
                .directory(PythonAgentIT.AGENT.getParent().toFile()).redirectErrorStream(true).start();
        String out = new String(tests.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(tests.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(tests.exitValue()).as(out).isZero();
        assertThat(out).contains("Ran 6 tests").contains("OK").doesNotContain("skipped");
    }
}
