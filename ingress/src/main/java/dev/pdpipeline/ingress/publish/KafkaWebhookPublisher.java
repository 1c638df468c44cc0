package dev.pdpipeline.ingress.publish;

import dev.pdpipeline.common.kafka.PipelineHeaders;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.format.DateTimeFormatter;
import java.util.Objects;
import java.util.Properties;
import java.util.concurrent.CompletableFuture;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import java.util.function.Consumer;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.errors.AuthorizationException;
import org.apache.kafka.common.errors.InvalidProducerEpochException;
import org.apache.kafka.common.errors.ProducerFencedException;
import org.apache.kafka.common.errors.RecordBatchTooLargeException;
import org.apache.kafka.common.errors.RetriableException;
import org.apache.kafka.common.errors.UnsupportedVersionException;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Publishes deliveries to the raw topic: value = the body bytes unchanged, key = the partition key
 * (so every event of one incident lands on one partition, in order), headers = webhook id,
 * subscription, received-at and the fingerprints of the secrets that verified it.
 *
 * <p>The producer is durable and bounded: {@code acks=all} and idempotence are set after the
 * {@code KAFKA_*} pass-through so they cannot be weakened, and every client timeout is tied to the
 * publish timeout so that nothing outlives the HTTP answer by much.
 */
public final class KafkaWebhookPublisher implements WebhookPublisher, AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(KafkaWebhookPublisher.class);
    /** Room for key, headers and batch framing on top of the largest body. */
    static final int RECORD_OVERHEAD_BYTES = 64 * 1024;

    private final Producer<String, byte[]> producer;
    private final String topic;
    private volatile Consumer<Throwable> onFatal = e -> { };

    /** Wraps an existing producer (tests use a mock); it is closed by {@link #close(Duration)}. */
    public KafkaWebhookPublisher(Producer<String, byte[]> producer, String topic) {
        this.producer = Objects.requireNonNull(producer, "producer");
        this.topic = Objects.requireNonNull(topic, "topic");
    }

    /**
     * Creates the producer.
     *
     * @param passThrough    {@code KAFKA_*} client properties
     * @param topic          the raw topic
     * @param publishTimeout the HTTP layer's wait bound
     * @param maxBodyBytes   largest body the HTTP layer accepts
     */
    public static KafkaWebhookPublisher create(Properties passThrough, String topic, Duration publishTimeout,
            long maxBodyBytes) {
        Properties props = producerProperties(passThrough, publishTimeout, maxBodyBytes);
        return new KafkaWebhookPublisher(
                new KafkaProducer<>(props, new StringSerializer(), new ByteArraySerializer()), topic);
    }

    /**
     * The producer configuration: the pass-through first, then durability and the timeouts, which
     * override it.
     */
    /** {@code linger.ms} unless {@code KAFKA_LINGER_MS} says otherwise. */
    public static final long DEFAULT_LINGER_MS = 2;
    /** The most linger the ingress accepts: every ms of it is added to the 202. */
    public static final long MAX_LINGER_MS = 50;

    public static Properties producerProperties(Properties passThrough, Duration publishTimeout, long maxBodyBytes) {
        Objects.requireNonNull(passThrough, "passThrough");
        Objects.requireNonNull(publishTimeout, "publishTimeout");
        Properties props = new Properties();
        props.putAll(passThrough);
        props.putIfAbsent(ProducerConfig.CLIENT_ID_CONFIG, "pdpipeline-ingress");
        long requested = parseLong(props.getProperty(ProducerConfig.MAX_REQUEST_SIZE_CONFIG), 1_048_576L);
        props.put(ProducerConfig.MAX_REQUEST_SIZE_CONFIG,
                Long.toString(Math.max(requested, maxBodyBytes + RECORD_OVERHEAD_BYTES)));

        // durability: never weakened by the pass-through
        props.put(ProducerConfig.ACKS_CONFIG, "all");
        props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
        // bounded: send() blocks at most the timeout, and a record is given up (not written later)
        // once the HTTP answer has gone out, as far as Kafka allows (delivery >= linger + request)
        // A short linger lets concurrent webhooks share a batch: with 0, every send() made a batch
        // of its own and woke the network thread under the producer's locks, which the request
        // threads then queued for (see docs/ingress.md); KAFKA_LINGER_MS may change it.
        long linger = Math.min(Math.max(parseLong(props.getProperty(ProducerConfig.LINGER_MS_CONFIG), DEFAULT_LINGER_MS), 0L),
                MAX_LINGER_MS);
        long timeout = publishTimeout.toMillis();
        linger = Math.min(linger, Math.max(0L, timeout / 2));
        props.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, Long.toString(timeout));
        // delivery.timeout.ms >= linger.ms + request.timeout.ms, as the producer requires
        props.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, Long.toString(timeout - linger));
        props.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, Long.toString(timeout));
        props.put(ProducerConfig.LINGER_MS_CONFIG, Long.toString(linger));
        return props;
    }

    @Override
    public CompletableFuture<PublishReceipt> publish(RawDelivery delivery) {
        return publish(delivery, null);
    }

    /** Publishes to {@code partition}, or where the producer's partitioner puts it when null. */
    public CompletableFuture<PublishReceipt> publish(RawDelivery delivery, Integer partition) {
        Objects.requireNonNull(delivery, "delivery");
        CompletableFuture<PublishReceipt> result = new CompletableFuture<>();
        try {
            producer.send(toRecord(delivery, partition), (metadata, exception) -> {
                if (exception == null) {
                    result.complete(new PublishReceipt(metadata.topic(), metadata.partition(), metadata.offset()));
                } else {
                    reportIfFatal(exception);
                    result.completeExceptionally(classify(exception));
                }
            });
        } catch (RuntimeException e) {
            // send() itself fails when metadata does not arrive within max.block.ms, or when closed
            reportIfFatal(e);
            result.completeExceptionally(classify(e));
        }
        return result;
    }

    /**
     * Called with an error after which this producer can never publish again (fenced, not
     * authorised, unsupported by the broker, closed); the service then fails for good.
     */
    public void onFatal(Consumer<Throwable> listener) {
        this.onFatal = Objects.requireNonNull(listener, "listener");
    }

    /** Errors no retry can fix; a broker briefly away (timeouts, not-leader...) is not one. */
    static boolean isFatal(Throwable e) {
        return e instanceof ProducerFencedException || e instanceof InvalidProducerEpochException
                || e instanceof AuthorizationException || e instanceof UnsupportedVersionException
                || (e instanceof IllegalStateException && String.valueOf(e.getMessage()).contains("closed"))
                || (e instanceof KafkaException && !(e instanceof RetriableException) && e.getCause() != null
                        && isFatal(e.getCause()));
    }

    private void reportIfFatal(Throwable e) {
        if (isFatal(e)) {
            onFatal.accept(e);
        }
    }

    ProducerRecord<String, byte[]> toRecord(RawDelivery delivery) {
        return toRecord(delivery, null);
    }

    ProducerRecord<String, byte[]> toRecord(RawDelivery delivery, Integer partition) {
        RecordHeaders headers = new RecordHeaders();
        if (delivery.webhookId() != null) {
            headers.add(PipelineHeaders.WEBHOOK_ID, utf8(delivery.webhookId()));
        }
        if (delivery.subscription() != null) {
            headers.add(PipelineHeaders.WEBHOOK_SUBSCRIPTION, utf8(delivery.subscription()));
        }
        headers.add(PipelineHeaders.RECEIVED_AT, utf8(DateTimeFormatter.ISO_INSTANT.format(delivery.receivedAt())));
        headers.add(PipelineHeaders.SECRET_FINGERPRINTS, utf8(String.join(",", delivery.secretFingerprints())));
        return new ProducerRecord<>(topic, partition, delivery.key(), delivery.body(), headers);
    }

    private static Throwable classify(Exception e) {
        if (e instanceof RecordTooLargeException || e instanceof RecordBatchTooLargeException) {
            return new PublishRejectedException("record too large for the raw topic: " + e.getMessage(), e);
        }
        return e;
    }

    /** Sends what is buffered (bounded by {@code timeout}), then closes the producer. */
    public void close(Duration timeout) {
        try {
            producer.flush();
        } catch (RuntimeException e) {
            LOG.warn("Flushing the producer failed: {}", e.toString());
        }
        producer.close(timeout);
    }

    @Override
    public void close() {
        close(Duration.ofSeconds(5));
    }

    private static byte[] utf8(String value) {
        return value.getBytes(StandardCharsets.UTF_8);
    }

    private static long parseLong(String value, long fallback) {
        if (value == null || value.isBlank()) {
            return fallback;
        }
        try {
            return Long.parseLong(value.trim());
        } catch (NumberFormatException e) {
            return fallback; // Kafka's own validation reports it when the producer is created
        }
    }
}
