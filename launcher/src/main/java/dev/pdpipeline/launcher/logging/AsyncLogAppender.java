package dev.pdpipeline.launcher.logging;

import ch.qos.logback.classic.AsyncAppender;
import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.Appender;
import java.util.Iterator;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * Logback's {@link AsyncAppender} for the lines that come by the thousand (INFO and below: one per
 * accepted webhook), synchronous for the lines that must never be late or lost.
 *
 * <ul>
 *   <li>DEBUG and INFO go through a bounded queue to one writer thread, so a request thread (or
 *       the Kafka producer's thread) never waits for the console. Nothing is dropped: configure
 *       {@code discardingThreshold} 0 and {@code neverBlock} false, and a full queue makes the
 *       caller wait instead.</li>
 *   <li>WARN and ERROR are written at once by the caller, so the line that says why a process is
 *       about to exit (or halt) is out before it does. They may therefore appear a few
 *       milliseconds ahead of INFO lines logged just before them; the timestamps keep the
 *       order.</li>
 *   <li>Once the JVM starts shutting down, every line is written at once, after what is queued
 *       has been written (bounded by {@code maxFlushTime}), so the lines of the shutdown itself
 *       are never lost.</li>
 * </ul>
 */
public final class AsyncLogAppender extends AsyncAppender {

    private volatile boolean direct;
    private Thread drainOnExit;

    @Override
    public void start() {
        super.start();
        if (isStarted()) {
            drainOnExit = new Thread(this::drainAndGoDirect, "log-drain-" + getName());
            try {
                Runtime.getRuntime().addShutdownHook(drainOnExit);
            } catch (IllegalStateException shuttingDown) {
                direct = true;
            }
        }
    }

    @Override
    public void stop() {
        Thread hook = drainOnExit;
        drainOnExit = null;
        if (hook != null && hook != Thread.currentThread()) {
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException shuttingDown) {
                // the hook runs or has run
            }
        }
        super.stop();
    }

    @Override
    protected void append(ILoggingEvent event) {
        if (direct || event.getLevel().isGreaterOrEqual(Level.WARN)) {
            writeNow(event);
        } else {
            super.append(event);
        }
    }

    /** Whether lines are written by the caller from now on (the JVM is shutting down). */
    boolean isDirect() {
        return direct;
    }

    /** From now on every line is written by its caller; waits until the queue is empty. */
    void drainAndGoDirect() {
        direct = true;
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(Math.max(getMaxFlushTime(), 0));
        while (getNumberOfElementsInQueue() > 0 && System.nanoTime() < deadline) {
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1));
        }
    }

    private void writeNow(ILoggingEvent event) {
        Iterator<Appender<ILoggingEvent>> appenders = iteratorForAppenders();
        while (appenders.hasNext()) {
            appenders.next().doAppend(event);
        }
    }
}
