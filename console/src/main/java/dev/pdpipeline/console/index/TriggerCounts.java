package dev.pdpipeline.console.index;

/** How often a trigger decided what, over every decision the console has read. */
public record TriggerCounts(String trigger, long routed, long rejected, long duplicate, long disabled,
        long notSigned) {
}
