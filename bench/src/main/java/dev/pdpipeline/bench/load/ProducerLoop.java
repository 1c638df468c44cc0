package dev.pdpipeline.bench.load;

import dev.pdpipeline.ingress.IngressConfig;
import dev.pdpipeline.ingress.publish.PartitionedPublisher;
import dev.pdpipeline.ingress.publish.RawDelivery;
import dev.pdpipeline.ingress.publish.RawTopicMonitor;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.HdrHistogram.Histogram;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;

/**
 * The limit of the publishing side, in a JVM of its own: the ingress's own publisher (built from
 * the same environment as the ingress, so the same producers, acks=all, idempotence, linger and
 * one producer per raw partition) publishing the same pre-signed deliveries, with
 * {@code concurrency} publishes in flight, each thread waiting for Kafka's acknowledgement before
 * the next one, as an HTTP worker of the ingress does. Prints one {@code RESULT} line.
 *
 * <p>{@code ProducerLoop <deliveries file> <concurrency> <warm-up s> <seconds> <secret fingerprint>};
 * configured by the ingress's environment variables ({@code KAFKA_BOOTSTRAP_SERVERS},
 * {@code RAW_TOPIC}, {@code TRIGGERS_PATH}...).
 */
public final class ProducerLoop {

    /** The line the parent parses. */
    public static final String RESULT_PREFIX = "RESULT ";
    /** Deliveries published one at a time before the clock starts. */
    static final int PRIME = 20;

    private ProducerLoop() {
    }

    public static void main(String[] args) throws Exception {
        List<Deliveries.Delivery> deliveries = Deliveries.read(Path.of(args[0]));
        int concurrency = Integer.parseInt(args[1]);
        double warmup = Double.parseDouble(args[2]);
        double seconds = Double.parseDouble(args[3]);
        List<String> fingerprints = List.of(args[4]);
        IngressConfig config = IngressConfig.fromEnv(System.getenv());
        Properties adminProps = new Properties();
        adminProps.putAll(config.kafkaProperties());
        String topic = config.topics().raw();
        try (RawTopicMonitor monitor = new RawTopicMonitor(Admin.create(adminProps),
                new NewTopic(topic, config.rawTopicPartitions(), (short) 1), Duration.ofMillis(200))) {
            monitor.start();
            long readyBy = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (!monitor.isReady()) {
                if (System.nanoTime() > readyBy) {
                    throw new IllegalStateException("raw topic " + topic + " not ready within 60 s");
                }
                Thread.sleep(50);
            }
            try (PartitionedPublisher publisher = PartitionedPublisher.create(config.kafkaProperties(), topic,
                    config.publishTimeout(), config.maxBodyBytes(), monitor)) {
                // set-up, not warm-up: the producers' metadata and producer ids, before the clock starts
                for (int i = 0; i < Math.min(PRIME, deliveries.size()); i++) {
                    Deliveries.Delivery d = deliveries.get(i);
                    publisher.publish(new RawDelivery(d.key(), d.body(), d.webhookId(), "PSUBSCRIPTION1",
                            Instant.now(), fingerprints)).get(60, TimeUnit.SECONDS);
                }
                long start = System.nanoTime();
                long measureFrom = start + (long) (warmup * 1e9);
                long measureTo = measureFrom + (long) (seconds * 1e9);
                AtomicLong ok = new AtomicLong();
                AtomicLong failed = new AtomicLong();
                List<Histogram> histograms = new ArrayList<>();
                CountDownLatch done = new CountDownLatch(concurrency);
                for (int t = 0; t < concurrency; t++) {
                    Histogram h = new Histogram(60_000_000L, 3);
                    histograms.add(h);
                    int first = (int) ((long) t * 7919 % deliveries.size());
                    Thread worker = new Thread(() -> {
                        try {
                            int i = first;
                            while (true) {
                                long sent = System.nanoTime();
                                if (sent >= measureTo) {
                                    return;
                                }
                                Deliveries.Delivery d = deliveries.get(i);
                                i = (i + 1) % deliveries.size();
                                boolean success;
                                try {
                                    publisher.publish(new RawDelivery(d.key(), d.body(), d.webhookId(),
                                            "PSUBSCRIPTION1", Instant.now(), fingerprints)).get(30, TimeUnit.SECONDS);
                                    success = true;
                                } catch (Exception e) {
                                    success = false;
                                }
                                long end = System.nanoTime();
                                if (sent >= measureFrom && end <= measureTo) {
                                    (success ? ok : failed).incrementAndGet();
                                    h.recordValue(Math.min(60_000_000L, Math.max(1, (end - sent) / 1000)));
                                }
                            }
                        } finally {
                            done.countDown();
                        }
                    }, "producer-loop-" + t);
                    worker.start();
                }
                // this JVM's CPU over the measured window (the publishers' threads and the producers' I/O)
                sleepUntil(measureFrom);
                long cpuFrom = processCpuNanos();
                sleepUntil(measureTo);
                long cpuTo = processCpuNanos();
                done.await();
                double cores = cpuFrom < 0 ? -1 : (cpuTo - cpuFrom) / (seconds * 1e9);
                Histogram all = new Histogram(60_000_000L, 3);
                histograms.forEach(all::add);
                System.out.printf(java.util.Locale.ROOT,
                        RESULT_PREFIX + "requests=%d errors=%d seconds=%.3f p50us=%d p90us=%d p99us=%d p999us=%d"
                                + " maxus=%d meanus=%.1f cores=%.3f%n", ok.get(), failed.get(), seconds,
                        all.getValueAtPercentile(50), all.getValueAtPercentile(90), all.getValueAtPercentile(99),
                        all.getValueAtPercentile(99.9), all.getMaxValue(), all.getMean(), cores);
                System.out.flush();
            }
        }
    }

    private static void sleepUntil(long nanoTime) throws InterruptedException {
        long left = nanoTime - System.nanoTime();
        if (left > 0) {
            TimeUnit.NANOSECONDS.sleep(left);
        }
    }

    private static long processCpuNanos() {
        return java.lang.management.ManagementFactory.getOperatingSystemMXBean()
                instanceof com.sun.management.OperatingSystemMXBean os ? os.getProcessCpuTime() : -1;
    }
}
