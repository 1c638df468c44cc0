package dev.pdpipeline.common.trigger;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.NullSource;
import org.junit.jupiter.params.provider.ValueSource;

class PriorityAndUrgencyTest {

    @ParameterizedTest
    @CsvSource({"P1,P1", "p2,P2", " P3 ,P3", "p5,P5"})
    void parsesPriorityIgnoringCaseAndWhitespace(String text, Priority expected) {
        assertThat(Priority.parse(text)).contains(expected);
    }

    @ParameterizedTest
    @NullSource
    @ValueSource(strings = {"", "P0", "P6", "1", "high", "PP1", "P 1"})
    void rejectsAnythingElseAsPriority(String text) {
        assertThat(Priority.parse(text)).isEmpty();
    }

    @Test
    void p1IsTheHighestPriority() {
        assertThat(Priority.P1.isAtLeast(Priority.P2)).isTrue();
        assertThat(Priority.P2.isAtLeast(Priority.P2)).isTrue();
        assertThat(Priority.P3.isAtLeast(Priority.P2)).isFalse();
        assertThat(Priority.P5.isAtLeast(Priority.P1)).isFalse();
        assertThat(Priority.P5.isAtLeast(Priority.P5)).isTrue();
    }

    @ParameterizedTest
    @CsvSource({"high,HIGH", "HIGH,HIGH", "Low,LOW", " low ,LOW"})
    void parsesUrgencyIgnoringCase(String text, Urgency expected) {
        assertThat(Urgency.parse(text)).contains(expected);
    }

    @ParameterizedTest
    @NullSource
    @ValueSource(strings = {"", "medium", "P1", "hi"})
    void rejectsAnythingElseAsUrgency(String text) {
        assertThat(Urgency.parse(text)).isEmpty();
    }

    @Test
    void minimumHighUrgencyLetsOnlyHighThrough() {
        assertThat(Urgency.HIGH.satisfies(Urgency.HIGH)).isTrue();
        assertThat(Urgency.LOW.satisfies(Urgency.HIGH)).isFalse();
    }

    @Test
    void minimumLowUrgencyLetsBothThrough() {
        assertThat(Urgency.HIGH.satisfies(Urgency.LOW)).isTrue();
        assertThat(Urgency.LOW.satisfies(Urgency.LOW)).isTrue();
    }
}
