package dev.pdpipeline.ingress.publish;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.kafka.clients.producer.MockProducer;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.errors.NotLeaderOrFollowerException;
import org.apache.kafka.common.errors.ProducerFencedException;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.errors.TopicAuthorizationException;
import org.apache.kafka.common.errors.UnsupportedVersionException;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;

/** Which producer errors end the ingress (no retry can fix them) and which are only a 503. */
class PublisherFatalErrorTest {

    private final MockProducer<String, byte[]> producer =
            new MockProducer<>(false, null, new StringSerializer(), new ByteArraySerializer());
    private final KafkaWebhookPublisher publisher = new KafkaWebhookPublisher(producer, "raw");
    private final List<Throwable> fatal = new CopyOnWriteArrayList<>();

    private RawDelivery delivery() {
        return new RawDelivery("Q1", "{}".getBytes(StandardCharsets.UTF_8), "W1", null, Instant.now(), List.of("fp"));
    }

    @Test
    void anAuthorisationErrorIsReportedAsFatal() {
        publisher.onFatal(fatal::add);
        publisher.publish(delivery());
        producer.errorNext(new TopicAuthorizationException("Not authorized to access topics: [raw]"));

        assertThat(fatal).singleElement().isInstanceOf(TopicAuthorizationException.class);
    }

    @Test
    void aClosedProducerIsReportedAsFatal() {
        publisher.onFatal(fatal::add);
        producer.close();
        publisher.publish(delivery());

        assertThat(fatal).hasSize(1);
    }

    @Test
    void aBrokerBrieflyAwayIsNot() {
        publisher.onFatal(fatal::add);
        publisher.publish(delivery());
        producer.errorNext(new TimeoutException("Expiring 1 record(s)"));
        publisher.publish(delivery());
        producer.errorNext(new NotLeaderOrFollowerException("moving"));

        assertThat(fatal).isEmpty();
    }

    @Test
    void classifiesTheFatalKinds() {
        assertThat(KafkaWebhookPublisher.isFatal(new ProducerFencedException("fenced"))).isTrue();
        assertThat(KafkaWebhookPublisher.isFatal(new UnsupportedVersionException("old broker"))).isTrue();
        assertThat(KafkaWebhookPublisher.isFatal(new KafkaException("wrapped",
                new TopicAuthorizationException("denied")))).isTrue();
        assertThat(KafkaWebhookPublisher.isFatal(new KafkaException("wrapped", new TimeoutException("t")))).isFalse();
        assertThat(KafkaWebhookPublisher.isFatal(new TimeoutException("t"))).isFalse();
    }
}
