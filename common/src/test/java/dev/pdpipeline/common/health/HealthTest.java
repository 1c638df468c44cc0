package dev.pdpipeline.common.health;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class HealthTest {

    @Test
    void keepsTheFirstFailureAndNotifiesOnce() {
        Health health = new Health();
        Health.Part streams = health.register("kafka-streams");
        Health.Part notes = health.register("notes-consumer");
        List<Health.Failure> seen = new ArrayList<>();
        health.onFailure(seen::add);

        streams.degraded("rebalancing");
        assertThat(health.isLive()).isTrue();
        notes.failed(new IllegalStateException("boom"));
        streams.failed("ERROR");

        assertThat(health.isLive()).isFalse();
        assertThat(seen).hasSize(1);
        assertThat(seen.get(0).part()).isEqualTo("notes-consumer");
        assertThat(seen.get(0).reason()).isEqualTo("IllegalStateException: boom");
        assertThat(health.parts().get("kafka-streams").state()).isEqualTo(Health.State.FAILED);
    }

    @Test
    void failedIsFinal() {
        Health health = new Health();
        Health.Part part = health.register("reader");
        part.failed("gone");
        part.up();
        assertThat(health.parts().get("reader").state()).isEqualTo(Health.State.FAILED);
    }

    @Test
    void aListenerAddedAfterTheFailureIsCalledAtOnce() {
        Health health = new Health();
        health.register("p").failed("x");
        List<Health.Failure> seen = new ArrayList<>();
        health.onFailure(seen::add);
        assertThat(seen).extracting(Health.Failure::part).containsExactly("p");
    }

    @Test
    void aGuardedThreadThatEndsWhileNeededFailsItsPart() {
        Health health = new Health();
        Health.Part part = health.register("loop");
        part.guard(() -> { }, () -> true).run();
        assertThat(health.failure()).get().extracting(Health.Failure::part).isEqualTo("loop");
    }

    @Test
    void aGuardedThreadThatThrowsFailsItsPart() {
        Health health = new Health();
        Health.Part part = health.register("loop");
        Runnable body = part.guard(() -> {
            throw new IllegalStateException("dead");
        }, () -> true);
        assertThatThrownBy(body::run).isInstanceOf(IllegalStateException.class);
        assertThat(health.failure()).get().extracting(Health.Failure::reason).isEqualTo("IllegalStateException: dead");
    }

    @Test
    void namesAreUnique() {
        Health health = new Health();
        health.register("a");
        assertThatThrownBy(() -> health.register("a")).isInstanceOf(IllegalArgumentException.class);
    }
}
