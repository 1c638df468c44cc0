package dev.pdpipeline.processor.replay;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

class ReplayTimeRangeTest {

    private static final Instant NOW = Instant.parse("2025-05-14T12:00:00Z");

    @Test
    void sinceTakesDaysHoursMinutesAndSeconds() {
        assertThat(TimeRange.parseSince("7d")).isEqualTo(Duration.ofDays(7));
        assertThat(TimeRange.parseSince("12h")).isEqualTo(Duration.ofHours(12));
        assertThat(TimeRange.parseSince("30m")).isEqualTo(Duration.ofMinutes(30));
        assertThat(TimeRange.parseSince(" 45S ")).isEqualTo(Duration.ofSeconds(45));
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "7", "d", "7 days", "-1d", "1.5h", "7w", "1d2h"})
    void badSinceIsRejectedWithTheAcceptedForm(String text) {
        assertThatThrownBy(() -> TimeRange.parseSince(text))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("--since").hasMessageContaining("7d, 12h, 30m");
    }

    @Test
    void zeroSinceIsRejected() {
        assertThatThrownBy(() -> TimeRange.parseSince("0h")).hasMessageContaining("more than zero");
    }

    @Test
    void sinceCountsBackFromNow() {
        TimeRange range = TimeRange.of("12h", null, null, null, NOW);
        assertThat(range.from()).isEqualTo(Instant.parse("2025-05-14T00:00:00Z"));
        assertThat(range.to()).isNull();
        assertThat(range.contains(NOW.toEpochMilli())).isTrue();
        assertThat(range.contains(range.from().toEpochMilli() - 1)).isFalse();
    }

    @Test
    void fromAndToTakeInstantsAndDates() {
        TimeRange range = TimeRange.of(null, "2025-05-01", "2025-05-02T06:30:00Z", null, NOW);
        assertThat(range.from()).isEqualTo(Instant.parse("2025-05-01T00:00:00Z"));
        assertThat(range.to()).isEqualTo(Instant.parse("2025-05-02T06:30:00Z"));
        assertThat(range.contains(range.to().toEpochMilli())).isTrue();
        assertThat(range.contains(range.to().toEpochMilli() + 1)).isFalse();
    }

    @Test
    void fallbackAppliesOnlyWithoutSinceOrFrom() {
        assertThat(TimeRange.of(null, null, null, Duration.ofDays(7), NOW).from())
                .isEqualTo(Instant.parse("2025-05-07T12:00:00Z"));
        assertThat(TimeRange.of("1h", null, null, Duration.ofDays(7), NOW).from())
                .isEqualTo(Instant.parse("2025-05-14T11:00:00Z"));
        assertThat(TimeRange.of(null, null, null, null, NOW)).isEqualTo(TimeRange.ALL);
    }

    @Test
    void conflictingOrInvertedBoundsAreRejected() {
        assertThatThrownBy(() -> TimeRange.of("7d", "2025-05-01", null, null, NOW))
                .hasMessageContaining("--since or --from");
        assertThatThrownBy(() -> TimeRange.of(null, "2025-05-03", "2025-05-02", null, NOW))
                .hasMessageContaining("--from").hasMessageContaining("after --to");
        assertThatThrownBy(() -> TimeRange.of(null, "yesterday", null, null, NOW))
                .hasMessageContaining("--from").hasMessageContaining("ISO-8601").hasMessageContaining("yesterday");
    }
}
