package dev.pdpipeline.processor.notes;

import dev.pdpipeline.common.trigger.Trigger;

/** Triggers for the notes tests. */
final class NotesTestTriggers {

    private NotesTestTriggers() {
    }

    static Trigger trigger(String name, String agent, String apiToken, String fromEmail, String botName) {
        return new Trigger(name, null, null, agent, true, "whsec-" + name, apiToken, botName, fromEmail,
                null, null, null, null, null, null, null);
    }
}
