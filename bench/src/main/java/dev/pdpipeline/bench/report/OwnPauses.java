package dev.pdpipeline.bench.report;

import com.sun.management.GarbageCollectionNotificationInfo;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import javax.management.ListenerNotFoundException;
import javax.management.NotificationEmitter;
import javax.management.NotificationListener;
import javax.management.openmbean.CompositeData;

/**
 * The benchmark JVM's own stop-the-world collections over a window. The generator and the reader
 * that time the subjects run in this JVM: a pause here delays every answer and every record read
 * during it, and would be reported as the subjects' latency. Counts what the G1 young and full
 * collectors report (their durations are pauses; concurrent cycles are not counted).
 */
public final class OwnPauses implements AutoCloseable {

    private final AtomicLong count = new AtomicLong();
    private final AtomicLong totalMs = new AtomicLong();
    private final AtomicLong maxMs = new AtomicLong();
    /**
     * Each collector's count when the window began: notifications come late, and a collection
     * whose id (its collector's count after it) is not above this began before the window.
     */
    private volatile Map<String, Long> countsAtStart = counts();
    private final NotificationListener listener = (notification, handback) -> {
        if (GarbageCollectionNotificationInfo.GARBAGE_COLLECTION_NOTIFICATION.equals(notification.getType())) {
            GarbageCollectionNotificationInfo info =
                    GarbageCollectionNotificationInfo.from((CompositeData) notification.getUserData());
            if (!info.getGcName().contains("Concurrent")
                    && info.getGcInfo().getId() > countsAtStart.getOrDefault(info.getGcName(), 0L)) {
                long ms = info.getGcInfo().getDuration();
                count.incrementAndGet();
                totalMs.addAndGet(ms);
                maxMs.accumulateAndGet(ms, Math::max);
            }
        }
    };

    /** Starts counting. */
    public OwnPauses() {
        for (GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans()) {
            if (gc instanceof NotificationEmitter emitter) {
                emitter.addNotificationListener(listener, null, null);
            }
        }
    }

    /**
     * Begins a window: what was counted is dropped, and a pause that began before now is not
     * counted even if its notification (they come late, on another thread) arrives later.
     */
    public void begin() {
        countsAtStart = counts();
        count.set(0);
        totalMs.set(0);
        maxMs.set(0);
    }

    /** The pauses of the window so far: count, total ms, longest ms. */
    public Window current() {
        return new Window(count.get(), totalMs.get(), maxMs.get());
    }

    /**
     * Collects this JVM's garbage now, outside any measured window, so that what an earlier phase
     * left (a warm-up's deliveries) is not collected in the middle of a measured one; as JMH does
     * between iterations. Returns how long it took, ms.
     */
    public static long collectNow() {
        long start = System.nanoTime();
        System.gc();
        return (System.nanoTime() - start) / 1_000_000;
    }

    private static Map<String, Long> counts() {
        Map<String, Long> counts = new HashMap<>();
        for (GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans()) {
            counts.put(gc.getName(), gc.getCollectionCount());
        }
        return Map.copyOf(counts);
    }

    @Override
    public void close() {
        for (GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans()) {
            if (gc instanceof NotificationEmitter emitter) {
                try {
                    emitter.removeNotificationListener(listener);
                } catch (ListenerNotFoundException e) {
                    // never added to this one
                }
            }
        }
    }

    /** Pauses in one window. */
    public record Window(long count, long totalMs, long maxMs) {
    }
}
