package dev.pdpipeline.processor.notes;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class RateShareTest {

    @Test
    void anInstanceGetsItsShareOfTheResultsPartitions() {
        assertThat(RateShare.of(2, 4)).isEqualTo(0.5);
        assertThat(RateShare.of(1, 3)).isEqualTo(1.0 / 3);
        assertThat(RateShare.perMinute(900, RateShare.of(1, 4))).isEqualTo(225.0);
    }

    @Test
    void theSharesOfAllOwnersNeverAddUpToMoreThanTheLimit() {
        for (int total = 1; total <= 64; total++) {
            for (int instances = 1; instances <= total + 2; instances++) {
                double sum = 0;
                int left = total;
                for (int i = 0; i < instances; i++) {
                    int mine = i == instances - 1 ? left : Math.min(left, total / instances);
                    left -= mine;
                    sum += RateShare.perMinute(900, RateShare.of(mine, total));
                }
                assertThat(sum).as("%d partitions over %d instances", total, instances).isLessThanOrEqualTo(900.0 + 1e-9);
            }
        }
    }

    @Test
    void noPartitionOrAnUnknownTopicMeansNoBudget() {
        assertThat(RateShare.of(0, 4)).isZero();
        assertThat(RateShare.of(3, 0)).isZero();
    }

    @Test
    void ownsAllWhenAlone() {
        assertThat(RateShare.of(6, 6)).isEqualTo(1.0);
    }

    @Test
    void refusesANegativeCount() {
        assertThatThrownBy(() -> RateShare.of(-1, 4)).isInstanceOf(IllegalArgumentException.class);
    }
}
