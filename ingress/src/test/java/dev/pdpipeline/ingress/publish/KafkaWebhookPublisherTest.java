package dev.pdpipeline.ingress.publish;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.pdpipeline.common.kafka.PipelineHeaders;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import org.apache.kafka.clients.producer.MockProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;

class KafkaWebhookPublisherTest {

    private static final byte[] BODY = "{\"event\":{\"title\":\"Zürich\"}}".getBytes(StandardCharsets.UTF_8);
    private static final Instant RECEIVED = Instant.parse("2025-03-04T10:15:31.250Z");

    private final MockProducer<String, byte[]> producer =
            new MockProducer<>(false, null, new StringSerializer(), new ByteArraySerializer());
    private final KafkaWebhookPublisher publisher = new KafkaWebhookPublisher(producer, "raw-topic");

    @Test
    void publishesRawBytesWithKeyAndHeaders() throws Exception {
        CompletableFuture<PublishReceipt> receipt = publisher.publish(
                new RawDelivery("PINC1", BODY, "wh-1", "sub-1", RECEIVED, List.of("fp-a", "fp-b")));
        producer.completeNext();

        assertThat(receipt.get().topic()).isEqualTo("raw-topic");
        ProducerRecord<String, byte[]> record = producer.history().get(0);
        assertThat(record.topic()).isEqualTo("raw-topic");
        assertThat(record.key()).isEqualTo("PINC1");
        assertThat(record.value()).isEqualTo(BODY);
        assertThat(header(record, PipelineHeaders.WEBHOOK_ID)).isEqualTo("wh-1");
        assertThat(header(record, PipelineHeaders.WEBHOOK_SUBSCRIPTION)).isEqualTo("sub-1");
        assertThat(header(record, PipelineHeaders.RECEIVED_AT)).isEqualTo("2025-03-04T10:15:31.250Z");
        assertThat(header(record, PipelineHeaders.SECRET_FINGERPRINTS)).isEqualTo("fp-a,fp-b");
    }

    @Test
    void omitsAbsentWebhookHeadersAndKey() {
        publisher.publish(new RawDelivery(null, BODY, null, null, RECEIVED, List.of("fp-a")));

        ProducerRecord<String, byte[]> record = producer.history().get(0);
        assertThat(record.key()).isNull();
        assertThat(record.headers().lastHeader(PipelineHeaders.WEBHOOK_ID)).isNull();
        assertThat(record.headers().lastHeader(PipelineHeaders.WEBHOOK_SUBSCRIPTION)).isNull();
    }

    @Test
    void failsTheFutureWhenKafkaFails() {
        CompletableFuture<PublishReceipt> receipt = publisher.publish(
                new RawDelivery("PINC1", BODY, "wh-1", null, RECEIVED, List.of("fp-a")));
        producer.errorNext(new TimeoutException("expired"));

        assertThatThrownBy(receipt::get).isInstanceOf(ExecutionException.class).hasCauseInstanceOf(TimeoutException.class);
    }

    @Test
    void reportsTooLargeRecordsAsRejectedForGood() {
        CompletableFuture<PublishReceipt> receipt = publisher.publish(
                new RawDelivery("PINC1", BODY, "wh-1", null, RECEIVED, List.of("fp-a")));
        producer.errorNext(new RecordTooLargeException("too big"));

        assertThatThrownBy(receipt::get).hasCauseInstanceOf(PublishRejectedException.class);
    }

    @Test
    void failsTheFutureInsteadOfThrowingWhenSendThrows() {
        producer.sendException = new TimeoutException("metadata not available");

        CompletableFuture<PublishReceipt> receipt = publisher.publish(
                new RawDelivery("PINC1", BODY, "wh-1", null, RECEIVED, List.of("fp-a")));

        assertThat(receipt).isCompletedExceptionally();
    }

    @Test
    void passThroughCannotWeakenDurabilityOrTimeouts() {
        Properties passThrough = new Properties();
        passThrough.put("bootstrap.servers", "b:9092");
        passThrough.put("acks", "0");
        passThrough.put("enable.idempotence", "false");
        passThrough.put("delivery.timeout.ms", "120000");
        passThrough.put("max.block.ms", "60000");
        passThrough.put("compression.type", "zstd");

        Properties props = KafkaWebhookPublisher.producerProperties(passThrough, Duration.ofMillis(3000), 1_048_576);

        assertThat(props)
                .containsEntry("bootstrap.servers", "b:9092")
                .containsEntry("compression.type", "zstd")
                .containsEntry("acks", "all")
                .containsEntry("enable.idempotence", "true")
                .containsEntry("max.block.ms", "3000")
                .containsEntry("request.timeout.ms", "2998")
                .containsEntry("delivery.timeout.ms", "3000")
                .containsEntry("linger.ms", "2");
        assertThat(Long.parseLong(props.getProperty("max.request.size"))).isGreaterThan(1_048_576);
    }

    @Test
    void lingerComesFromThePassThroughWithinBoundsAndTheRequestTimeoutMakesRoomForIt() {
        Properties passThrough = new Properties();
        passThrough.put("linger.ms", "20");
        Properties props = KafkaWebhookPublisher.producerProperties(passThrough, Duration.ofMillis(3000), 1_048_576);
        assertThat(props).containsEntry("linger.ms", "20").containsEntry("request.timeout.ms", "2980")
                .containsEntry("delivery.timeout.ms", "3000");

        passThrough.put("linger.ms", "100000");
        assertThat(KafkaWebhookPublisher.producerProperties(passThrough, Duration.ofMillis(3000), 1_048_576))
                .containsEntry("linger.ms", String.valueOf(KafkaWebhookPublisher.MAX_LINGER_MS));
        passThrough.put("linger.ms", "0");
        assertThat(KafkaWebhookPublisher.producerProperties(passThrough, Duration.ofMillis(3000), 1_048_576))
                .containsEntry("linger.ms", "0").containsEntry("request.timeout.ms", "3000");
    }

    @Test
    void producerConfigurationIsAcceptedByKafka() {
        Properties passThrough = new Properties();
        passThrough.put("bootstrap.servers", "localhost:1");
        Properties props = KafkaWebhookPublisher.producerProperties(passThrough, Duration.ofMillis(3000), 1_048_576);

        // Kafka validates delivery.timeout.ms >= linger.ms + request.timeout.ms when the producer is built
        new org.apache.kafka.clients.producer.KafkaProducer<>(props, new StringSerializer(), new ByteArraySerializer())
                .close(Duration.ZERO);
    }

    private static String header(ProducerRecord<String, byte[]> record, String name) {
        Header header = record.headers().lastHeader(name);
        assertThat(header).as(name).isNotNull();
        return new String(header.value(), StandardCharsets.UTF_8);
    }
}
