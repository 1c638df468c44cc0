package dev.pdpipeline.ingress.publish;

/** Where Kafka stored a delivery. */
public record PublishReceipt(String topic, int partition, long offset) {
}
