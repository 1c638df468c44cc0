package dev.pdpipeline.bench.load;

import java.io.BufferedWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Pre-signed deliveries on disk, shared by the external load generator's script ({@code wrk}) and
 * the producer loop: one line each, {@code <X-PagerDuty-Signature> TAB <X-Webhook-Id> TAB <key>
 * TAB <body>} (a compact JSON body has no raw tab or newline).
 */
public final class Deliveries {

    /** One delivery as the generators send it. */
    public record Delivery(String signature, String webhookId, String key, byte[] body) {
    }

    private Deliveries() {
    }

    /** {@code count} distinct events from {@code payloads}, signed with {@code secret}. */
    public static List<Delivery> signed(Payloads payloads, int count, String secret) {
        List<Delivery> list = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            Payloads.Event e = payloads.next("incident.triggered", "P1");
            list.add(new Delivery(Payloads.sign(e.body(), secret), "W" + e.eventId(), e.incidentId(), e.body()));
        }
        return list;
    }

    public static Path write(Path file, List<Delivery> deliveries) {
        try (BufferedWriter out = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
            for (Delivery d : deliveries) {
                String body = new String(d.body(), StandardCharsets.UTF_8);
                if (body.indexOf('\t') >= 0 || body.indexOf('\n') >= 0 || body.indexOf('\r') >= 0) {
                    throw new IllegalArgumentException("a body with a raw tab or line break cannot be written: "
                            + d.webhookId());
                }
                out.write(d.signature() + "\t" + d.webhookId() + "\t" + d.key() + "\t" + body + "\n");
            }
            return file;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the deliveries to " + file, e);
        }
    }

    public static List<Delivery> read(Path file) {
        try {
            List<Delivery> list = new ArrayList<>();
            for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
                String[] parts = line.split("\t", 4);
                if (parts.length == 4) {
                    list.add(new Delivery(parts[0], parts[1], parts[2], parts[3].getBytes(StandardCharsets.UTF_8)));
                }
            }
            if (list.isEmpty()) {
                throw new IllegalArgumentException("no deliveries in " + file);
            }
            return list;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the deliveries in " + file, e);
        }
    }
}
