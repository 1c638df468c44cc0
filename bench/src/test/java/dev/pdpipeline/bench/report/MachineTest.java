package dev.pdpipeline.bench.report;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class MachineTest {

    @Test
    void sharesOfBusyAndStolenTimeComeFromTwoProcStatSamples() {
        // user nice system idle iowait irq softirq steal guest guest_nice
        Machine.CpuTicks start = Machine.CpuTicks.parse("cpu  100 0 20 800 10 0 5 5 0 0");
        Machine.CpuTicks end = Machine.CpuTicks.parse("cpu  400 0 80 900 10 0 25 45 0 0");
        // busy +(300+60+20)=380, idle +100, steal +40: 520 ticks in all
        assertThat(end.busyPercentSince(start)).isEqualTo(73.1);
        assertThat(end.stealPercentSince(start)).isEqualTo(7.7);
    }

    @Test
    void countsIowaitAsIdleAndInterruptsAsBusy() {
        Machine.CpuTicks ticks = Machine.CpuTicks.parse("cpu 1 2 3 4 5 6 7 8");
        assertThat(ticks).isEqualTo(new Machine.CpuTicks(1 + 2 + 3 + 6 + 7, 4 + 5, 8));
    }

    @Test
    void unknownSamplesGiveMinusOneRatherThanAFigure() {
        Machine.CpuTicks known = Machine.CpuTicks.parse("cpu 1 0 0 1 0 0 0 0");
        assertThat(known.busyPercentSince(Machine.CpuTicks.UNKNOWN)).isEqualTo(-1);
        assertThat(Machine.CpuTicks.UNKNOWN.stealPercentSince(known)).isEqualTo(-1);
        assertThat(known.busyPercentSince(known)).isEqualTo(-1);
    }

    @Test
    void refusesALineThatIsNotTheAggregateCpuLine() {
        assertThatThrownBy(() -> Machine.CpuTicks.parse("cpu0 1 2 3 4 5 6 7 8"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("cpu0");
    }
}
