package dev.pdpipeline.bench.scenario;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** The ingress scenario's options read as its help says. */
class IngressBenchOptionsTest {

    private static IngressBench parse(String... args) {
        IngressBench bench = new IngressBench();
        new CommandLine(bench).parseArgs(args);
        return bench;
    }

    @Test
    void withoutRatesTheDefaultFixedRatesRun() {
        assertThat(parse().fixedRates()).containsExactly(500.0, 1000.0);
    }

    @Test
    void anEmptyRatesValueTurnsTheFixedRateRunsOff() {
        assertThat(parse("--rates", "").fixedRates()).isEmpty();
        assertThat(parse("--rates=").fixedRates()).isEmpty();
    }

    @Test
    void ratesAreACommaSeparatedList() {
        assertThat(parse("--rates", "40,80.5").fixedRates()).containsExactly(40.0, 80.5);
    }

    @Test
    void aRateThatIsNotANumberIsRefusedWithTheValue() {
        assertThatThrownBy(() -> parse("--rates", "fast"))
                .isInstanceOf(CommandLine.ParameterException.class)
                .hasMessageContaining("'fast' is not a number");
    }
}
