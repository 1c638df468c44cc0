package dev.pdpipeline.common.trigger;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Hot reload of Trigger files: polls the path, reloads when the files' content or the directory
 * listing changed, and keeps serving the last good {@link TriggerSet} when a change is invalid.
 *
 * <p>Polling (not WatchService) because it behaves the same on every file system, including
 * Kubernetes ConfigMap/Secret volumes, whose updates are symlink swaps that watch events miss.
 * Each change is reported once: a broken file produces one {@code onError}, not one per poll.
 * A change is loaded only once the content stayed the same for one poll interval: a file being
 * written in place (truncated, then written, as most editors and {@code Files.writeString} do)
 * would otherwise be loaded half-written, an empty file being a valid set of no triggers.
 */
public final class TriggerWatcher implements AutoCloseable {

    /** Name of the polling thread. */
    public static final String THREAD_NAME = "trigger-watcher";

    private static final Logger LOG = LoggerFactory.getLogger(TriggerWatcher.class);

    private final Path path;
    private final TriggerLoader loader;
    private final Duration pollInterval;
    private final Consumer<TriggerSet> onChange;
    private final Consumer<TriggerConfigException> onError;

    private volatile TriggerSet current;
    private String lastHash;
    /** A changed content seen at the last poll, loaded when the next poll sees it unchanged. */
    private String settlingHash;
    private ScheduledExecutorService executor;

    /**
     * @param onChange called on the watcher thread with each new valid set (not for the initial load)
     * @param onError  called on the watcher thread when a change is invalid; the last good set stays current
     */
    public TriggerWatcher(Path path, TriggerLoader loader, Duration pollInterval,
            Consumer<TriggerSet> onChange, Consumer<TriggerConfigException> onError) {
        this.path = Objects.requireNonNull(path, "path");
        this.loader = Objects.requireNonNull(loader, "loader");
        this.pollInterval = Objects.requireNonNull(pollInterval, "pollInterval");
        if (pollInterval.isNegative() || pollInterval.isZero()) {
            throw new IllegalArgumentException("pollInterval must be positive, got " + pollInterval);
        }
        this.onChange = Objects.requireNonNull(onChange, "onChange");
        this.onError = Objects.requireNonNull(onError, "onError");
    }

    /**
     * Loads the triggers now and starts polling.
     *
     * @throws TriggerConfigException when the files are invalid: a service must not start without triggers
     *                                it can trust; nothing is polled then
     */
    public synchronized TriggerSet start() {
        if (executor != null) {
            throw new IllegalStateException("already started");
        }
        String hash = contentHash(path);
        TriggerSet set = loader.load(path);
        current = set;
        lastHash = hash;
        executor = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, THREAD_NAME);
            t.setDaemon(true);
            return t;
        });
        long millis = Math.max(1, pollInterval.toMillis());
        executor.scheduleWithFixedDelay(this::poll, millis, millis, TimeUnit.MILLISECONDS);
        LOG.info("Watching {} for trigger changes every {} ({} trigger(s) loaded)", path, pollInterval,
                set.triggers().size());
        logSkipped(set);
        return set;
    }

    /** The last valid set (null before {@link #start()}). */
    public TriggerSet current() {
        return current;
    }

    @Override
    public synchronized void close() {
        if (executor != null) {
            executor.shutdownNow();
            try {
                if (!executor.awaitTermination(5, TimeUnit.SECONDS)) {
                    LOG.warn("{} thread did not stop within 5 s", THREAD_NAME);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private void poll() {
        // never let an exception escape: a scheduled task that throws is silently never run again
        try {
            String hash = contentHash(path);
            if (hash.equals(lastHash)) {
                settlingHash = null;
                return;
            }
            if (!hash.equals(settlingHash)) {
                settlingHash = hash; // still being written, maybe: load it if it is the same at the next poll
                return;
            }
            settlingHash = null;
            lastHash = hash;
            TriggerSet set;
            try {
                set = loader.load(path);
            } catch (TriggerConfigException e) {
                LOG.error("Trigger files in {} changed but are invalid, keeping the previous {} trigger(s): {}",
                        path, current.triggers().size(), e.getMessage());
                onError.accept(e);
                return;
            }
            current = set;
            LOG.info("Reloaded {} trigger(s) from {}: {}", set.triggers().size(), path,
                    set.triggers().stream().map(Trigger::name).toList());
            logSkipped(set);
            onChange.accept(set);
        } catch (RuntimeException e) {
            LOG.error("Trigger watcher for {} failed, will retry at the next poll", path, e);
        }
    }

    /**
     * One line per document the load skipped, at start and at each reload, so that a Trigger of
     * another platform (or a PagerDuty Trigger someone believes is loaded) is never skipped silently.
     */
    public static void logSkipped(TriggerSet set) {
        for (SkippedDocument s : set.skipped()) {
            LOG.info("Trigger files: {}", s.describe());
        }
    }

    /** SHA-256 over the names and contents of the files the loader would read (or why it cannot). */
    static String contentHash(Path path) {
        MessageDigest digest;
        try {
            digest = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 unavailable", e);
        }
        List<Path> files;
        try {
            files = TriggerLoader.files(path);
        } catch (TriggerConfigException e) {
            // the load will report it; hash the problem so that a fix counts as a change
            return "unloadable:" + e.getMessage();
        }
        for (Path file : files) {
            update(digest, "file:" + file.getFileName());
            try {
                if (Files.size(file) > TriggerLoader.MAX_FILE_BYTES) {
                    update(digest, "too-large:" + Files.size(file));
                } else {
                    byte[] content = Files.readAllBytes(file);
                    update(digest, "bytes:" + content.length);
                    digest.update(content);
                }
            } catch (IOException e) {
                update(digest, "unreadable:" + e.getClass().getName());
            }
        }
        return HexFormat.of().formatHex(digest.digest());
    }

    private static void update(MessageDigest digest, String s) {
        digest.update(s.getBytes(StandardCharsets.UTF_8));
        digest.update((byte) 0);
    }
}
