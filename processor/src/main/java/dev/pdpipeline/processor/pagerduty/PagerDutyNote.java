package dev.pdpipeline.processor.pagerduty;

import java.util.Objects;

/** A note on an incident as PagerDuty lists it; only the fields the writer needs. */
public record PagerDutyNote(String id, String content) {

    public PagerDutyNote {
        Objects.requireNonNull(content, "content");
    }
}
