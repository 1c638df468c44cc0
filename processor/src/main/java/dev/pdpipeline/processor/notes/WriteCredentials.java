package dev.pdpipeline.processor.notes;

import dev.pdpipeline.common.trigger.Trigger;
import dev.pdpipeline.common.trigger.TriggerSet;
import java.util.Objects;
import java.util.Optional;

/**
 * Who writes a result: the API token (the routing trigger's {@code api_token}, else
 * {@code PAGERDUTY_API_TOKEN}; null means dry run), the From email (the result's
 * {@code from_email}, else the trigger's {@code from_email}, else {@code PAGERDUTY_FROM_EMAIL})
 * and the bot name the note is signed with. {@link #toString()} masks the token.
 */
record WriteCredentials(String token, String from, String botName, String trigger) {

    static WriteCredentials resolve(AgentResult result, RequestLogRecord request, TriggerSet triggers,
            NotesConfig config) {
        Objects.requireNonNull(result, "result");
        Objects.requireNonNull(request, "request");
        Objects.requireNonNull(triggers, "triggers");
        Objects.requireNonNull(config, "config");
        Optional<Trigger> trigger = triggers.byName(request.trigger());
        String token = trigger.map(Trigger::apiToken).filter(t -> !t.isBlank()).orElse(config.apiToken());
        String from = result.fromEmail() != null ? result.fromEmail()
                : trigger.map(Trigger::fromEmail).filter(f -> !f.isBlank()).orElse(config.fromEmail());
        String bot = trigger.map(Trigger::botName).orElse(Trigger.DEFAULT_BOT_NAME);
        return new WriteCredentials(token, from, bot, request.trigger());
    }

    boolean dryRun() {
        return token == null;
    }

    @Override
    public String toString() {
        return "WriteCredentials[token=" + (token == null ? "none" : "****") + ", from=" + from + ", botName="
                + botName + ", trigger=" + trigger + "]";
    }
}
