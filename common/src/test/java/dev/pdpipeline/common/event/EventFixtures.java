package dev.pdpipeline.common.event;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Objects;

/** Loads our own delivery fixtures from {@code src/test/resources/events/} and finds ../shared. */
final class EventFixtures {

    private EventFixtures() {
    }

    static byte[] bytes(String name) {
        try (InputStream in = EventFixtures.class.getResourceAsStream("/events/" + name)) {
            Objects.requireNonNull(in, "no fixture events/" + name);
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static PagerDutyEvent event(String name) {
        try {
            return PagerDutyEvent.parse(bytes(name));
        } catch (InvalidEventException e) {
            throw new AssertionError("fixture " + name + " is invalid: " + e.getMessage(), e);
        }
    }

    /** {@code <shared>/pagerduty}, or null when the checkout has no ../shared (users' clones). */
    static Path sharedPagerDutyDir() {
        String dir = System.getProperty("pdpipeline.shared.dir");
        if (dir == null) {
            return null;
        }
        Path path = Path.of(dir, "pagerduty");
        return Files.isDirectory(path) ? path : null;
    }
}
