package dev.pdpipeline.processor.notes;

import static dev.pdpipeline.processor.notes.NotesTestTriggers.trigger;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.pdpipeline.common.trigger.TriggerSet;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.config.ConfigException;
import org.junit.jupiter.api.Test;

class NotesConfigTest {

    private static final String TOKEN = "pd-token-SECRET-123";

    @Test
    void defaultsMatchTheDocumentation() {
        NotesConfig c = NotesConfig.fromEnv(Map.of());

        assertThat(c.enabled()).isTrue();
        assertThat(c.workerThreads()).isEqualTo(4);
        assertThat(c.apiUrl()).hasToString("https://api.pagerduty.com");
        assertThat(c.apiToken()).isNull();
        assertThat(c.fromEmail()).isNull();
        assertThat(c.rateLimitPerMinute()).isEqualTo(900).isLessThan(NotesConfig.PAGERDUTY_LIMIT_PER_MINUTE);
        assertThat(c.retryMaxDuration()).isEqualTo(Duration.ofMinutes(30));
        assertThat(c.requestTimeout()).isEqualTo(Duration.ofSeconds(10));
        assertThat(c.maxNoteChars()).isEqualTo(25_000);
    }

    @Test
    void invalidValuesNameTheVariable() {
        assertThatThrownBy(() -> NotesConfig.fromEnv(Map.of("PAGERDUTY_RATE_LIMIT_PER_MINUTE", "0")))
                .isInstanceOf(ConfigException.class).hasMessageContaining("PAGERDUTY_RATE_LIMIT_PER_MINUTE");
        assertThatThrownBy(() -> NotesConfig.fromEnv(Map.of("PAGERDUTY_API_URL", "ftp://x")))
                .isInstanceOf(ConfigException.class).hasMessageContaining("PAGERDUTY_API_URL");
        assertThatThrownBy(() -> NotesConfig.fromEnv(Map.of("PAGERDUTY_FROM_EMAIL", "not-an-email")))
                .isInstanceOf(ConfigException.class).hasMessageContaining("PAGERDUTY_FROM_EMAIL");
        assertThatThrownBy(() -> NotesConfig.fromEnv(Map.of("NOTES_ENABLED", "maybe")))
                .isInstanceOf(ConfigException.class).hasMessageContaining("NOTES_ENABLED");
    }

    @Test
    void toStringNeverShowsTheToken() {
        NotesConfig c = NotesConfig.fromEnv(Map.of("PAGERDUTY_API_TOKEN", TOKEN));

        assertThat(c.apiToken()).isEqualTo(TOKEN);
        assertThat(c.toString()).doesNotContain(TOKEN).contains("apiToken=****");
    }

    @Test
    void validationFailsNamingTheTriggerWithATokenButNoFrom() {
        TriggerSet triggers = new TriggerSet(List.of(
                trigger("ok", "a", "t1", "ops@example.com", null),
                trigger("no-from", "a", "t2", null, null)));

        assertThatThrownBy(() -> NotesConfig.validate(triggers, Map.of()))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("trigger 'no-from'").hasMessageContaining("from_email")
                .hasMessageContaining("PAGERDUTY_FROM_EMAIL").hasMessageNotContaining("t2");
    }

    @Test
    void validationFailsForAGlobalTokenWithoutAnyFrom() {
        TriggerSet triggers = new TriggerSet(List.of(trigger("dry", "a", null, null, null)));

        assertThatThrownBy(() -> NotesConfig.validate(triggers, Map.of("PAGERDUTY_API_TOKEN", TOKEN)))
                .hasMessageContaining("trigger 'dry'").hasMessageContaining("PAGERDUTY_API_TOKEN")
                .hasMessageNotContaining(TOKEN);
        assertThatThrownBy(() -> NotesConfig.validate(TriggerSet.empty(), Map.of("PAGERDUTY_API_TOKEN", TOKEN)))
                .hasMessageContaining("PAGERDUTY_FROM_EMAIL");
    }

    @Test
    void validationPassesWithAGlobalFromOrWithoutAnyToken() {
        TriggerSet triggers = new TriggerSet(List.of(trigger("no-from", "a", "t2", null, null)));

        assertThatCode(() -> NotesConfig.validate(triggers, Map.of("PAGERDUTY_FROM_EMAIL", "ops@example.com")))
                .doesNotThrowAnyException();
        assertThatCode(() -> NotesConfig.validate(new TriggerSet(List.of(trigger("dry", "a", null, null, null))),
                Map.of())).doesNotThrowAnyException();
        assertThatCode(() -> NotesConfig.validate(triggers, Map.of("NOTES_ENABLED", "false")))
                .doesNotThrowAnyException();
    }

    @Test
    void tokenComesFromTheTriggerElseTheGlobalSetting() {
        NotesConfig global = NotesConfig.fromEnv(Map.of("PAGERDUTY_API_TOKEN", "global-token",
                "PAGERDUTY_FROM_EMAIL", "global@example.com"));
        TriggerSet triggers = new TriggerSet(List.of(
                trigger("own", "a", "own-token", "own@example.com", "helper"),
                trigger("plain", "a", null, null, null)));

        WriteCredentials own = WriteCredentials.resolve(result(null), request("own"), triggers, global);
        WriteCredentials plain = WriteCredentials.resolve(result(null), request("plain"), triggers, global);
        WriteCredentials gone = WriteCredentials.resolve(result(null), request("deleted"), triggers, global);

        assertThat(own.token()).isEqualTo("own-token");
        assertThat(own.from()).isEqualTo("own@example.com");
        assertThat(own.botName()).isEqualTo("helper");
        assertThat(plain.token()).isEqualTo("global-token");
        assertThat(plain.from()).isEqualTo("global@example.com");
        assertThat(plain.botName()).isEqualTo("aofbot");
        assertThat(gone.token()).isEqualTo("global-token");
        assertThat(own.toString()).doesNotContain("own-token");
    }

    @Test
    void fromComesFromTheResultFirst() {
        NotesConfig global = NotesConfig.fromEnv(Map.of("PAGERDUTY_FROM_EMAIL", "global@example.com"));
        TriggerSet triggers = new TriggerSet(List.of(trigger("own", "a", "own-token", "own@example.com", null)));

        WriteCredentials c = WriteCredentials.resolve(result("agent@example.com"), request("own"), triggers, global);

        assertThat(c.from()).isEqualTo("agent@example.com");
    }

    @Test
    void noTokenAnywhereMeansDryRun() {
        NotesConfig none = NotesConfig.fromEnv(Map.of());
        TriggerSet triggers = new TriggerSet(List.of(trigger("plain", "a", null, null, null)));

        assertThat(WriteCredentials.resolve(result(null), request("plain"), triggers, none).dryRun()).isTrue();
    }

    private static AgentResult result(String from) {
        return new AgentResult("r1", "P1", "a", "note", null, from, "id");
    }

    private static RequestLogRecord request(String trigger) {
        return new RequestLogRecord("r1", trigger, "a", "P1", "e1", false, true, null);
    }
}
