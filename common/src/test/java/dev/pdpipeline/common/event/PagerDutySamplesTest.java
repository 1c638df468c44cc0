package dev.pdpipeline.common.event;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.pdpipeline.common.json.Json;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * Holds our parsing to PagerDuty's own published samples (../shared, read at run time, never
 * copied). {@code data-<type>.json} files are {@code event.data} objects, wrapped here in an
 * envelope whose event type comes from event-types.tsv; {@code *.webhook.json} are deliveries.
 */
class PagerDutySamplesTest {

    @TestFactory
    Stream<DynamicTest> everyPublishedSampleParsesAndLocatesItsIncident() throws IOException {
        Path shared = EventFixtures.sharedPagerDutyDir();
        assumeTrue(shared != null && Files.isDirectory(shared.resolve("webhook-samples")),
                "../shared not present: PagerDuty's webhook samples cannot be checked");
        Map<String, String> eventTypeByDataType = new HashMap<>();
        for (String line : Files.readAllLines(shared.resolve("event-types.tsv")).subList(1,
                Files.readAllLines(shared.resolve("event-types.tsv")).size())) {
            String[] cols = line.split("\t");
            if (cols.length == 2) {
                eventTypeByDataType.putIfAbsent(cols[1].trim(), cols[0].trim());
            }
        }
        List<Path> files;
        try (Stream<Path> list = Files.list(shared.resolve("webhook-samples"))) {
            files = new ArrayList<>(list.filter(p -> p.toString().endsWith(".json")).sorted().toList());
        }
        assertThat(files).isNotEmpty();
        return files.stream().map(file -> DynamicTest.dynamicTest(file.getFileName().toString(),
                () -> check(file, eventTypeByDataType)));
    }

    private static void check(Path file, Map<String, String> eventTypeByDataType) throws Exception {
        String name = file.getFileName().toString();
        byte[] body;
        if (name.startsWith("data-")) {
            JsonNode data = Json.mapper().readTree(Files.readAllBytes(file));
            String dataType = data.get("type").asText();
            assertThat(eventTypeByDataType).as("event-types.tsv lists data.type %s", dataType).containsKey(dataType);
            ObjectNode root = Json.mapper().createObjectNode();
            ObjectNode event = root.putObject("event");
            event.put("id", "sample-" + dataType);
            event.put("event_type", eventTypeByDataType.get(dataType));
            event.put("resource_type", dataType.startsWith("service") ? "service" : "incident");
            event.putNull("agent");
            event.set("data", data);
            body = Json.mapper().writeValueAsBytes(root);
        } else {
            body = Files.readAllBytes(file);
        }
        PagerDutyEvent event = PagerDutyEvent.parse(body);
        EventMetadata metadata = event.metadata();
        boolean serviceEvent = metadata.dataType().startsWith("service");
        if (serviceEvent) {
            assertThat(metadata.incidentId()).as("service event has no incident").isNull();
            assertThat(metadata.serviceId()).as("service event names its service").isNotBlank();
            assertThat(event.partitionKey()).contains(metadata.serviceId());
        } else {
            assertThat(metadata.incidentId()).as("incident event names its incident").isNotBlank();
            assertThat(event.partitionKey()).contains(metadata.incidentId());
        }
        if (metadata.dataType().equals("incident")) {
            assertThat(metadata.priority()).isEqualTo("P1");
            assertThat(metadata.urgency()).isEqualTo("high");
            assertThat(metadata.serviceName()).isNotNull();
            assertThat(metadata.teamIds()).isNotEmpty();
            assertThat(metadata.assigneeIds()).isNotEmpty();
        } else {
            assertThat(metadata.assigneeIds()).as("only a full incident carries the incident's assignees").isNull();
            assertThat(metadata.status()).as("only a full incident carries the incident's status").isNull();
        }
    }
}
