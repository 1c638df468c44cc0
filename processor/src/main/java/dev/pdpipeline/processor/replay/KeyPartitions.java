package dev.pdpipeline.processor.replay;

import java.nio.charset.StandardCharsets;
import java.util.Objects;
import org.apache.kafka.common.utils.Utils;

/**
 * The partition Kafka's default partitioner gives a record key, so that reading one incident
 * touches only the partition that holds it instead of the whole raw topic.
 */
public final class KeyPartitions {

    private KeyPartitions() {
    }

    /**
     * {@code toPositive(murmur2(UTF-8 key)) % partitions}: what the producer's built-in
     * partitioner does for a non-null key (the ingress keys raw records by incident id).
     */
    public static int partitionFor(String key, int partitions) {
        Objects.requireNonNull(key, "key");
        if (partitions < 1) {
            throw new IllegalArgumentException("partitions must be at least 1, was " + partitions);
        }
        return Utils.toPositive(Utils.murmur2(key.getBytes(StandardCharsets.UTF_8))) % partitions;
    }
}
