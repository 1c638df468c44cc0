package dev.pdpipeline.ingress.http;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeoutException;
import org.eclipse.jetty.http.HttpException;
import org.eclipse.jetty.io.Content;

/**
 * Reads a request body without parking a thread while it arrives: Jetty's own content source
 * ({@link Content.Source#read()} and {@link Content.Source#demand}), so a client that trickles its
 * body costs a connection, not a thread. A body that came with its headers (nearly every delivery)
 * is read in the first call, on the thread that handles the request, with no callback at all; the
 * servlet non-blocking reader this replaces went through an asynchronous dispatch for every body
 * and cost several times the rest of the request (docs/benchmarks.md). Never holds more than the
 * limit: a body without a declared length (chunked) is refused as soon as it passes it.
 *
 * <p>The result fails with a {@link HttpProblem} 413 when the body is too large, and with a
 * {@link Failure} when the framing is broken or the body stops halfway (400) or arrives too
 * slowly (408): below the minimum data rate, averaged from its first byte and checked as bytes
 * arrive (Jetty's servlet layer checks {@code HttpConfiguration}'s rate the same way; its core API
 * leaves it to the handler), or silent past the idle timeout. The caller bounds the whole read
 * with its own deadline.
 */
final class AsyncBody implements Runnable {

    private static final int CHUNKED_INITIAL = 8192;

    /** Why reading the body failed, as the client should hear it. */
    enum Kind {
        /** Broken chunked framing, a body shorter than its Content-Length, any other read error: 400. */
        MALFORMED,
        /** Below the minimum request data rate, or silent past the idle timeout: 408. */
        TOO_SLOW
    }

    /** A failed body read, classified. */
    static final class Failure extends Exception {
        private final Kind kind;

        Failure(Kind kind, Throwable cause) {
            super(kind.name(), cause, false, false);
            this.kind = kind;
        }

        Kind kind() {
            return kind;
        }
    }

    private final Content.Source source;
    private final long limit;
    private final long minDataRate;
    private long firstByteNanos;
    private final CompletableFuture<byte[]> result = new CompletableFuture<>();
    private byte[] bytes;
    private int total;

    private AsyncBody(Content.Source source, long declaredLength, long limit, long minDataRate) {
        this.source = source;
        this.limit = limit;
        this.minDataRate = minDataRate;
        this.bytes = new byte[(int) Math.max(0, Math.min(declaredLength >= 0 ? declaredLength : CHUNKED_INITIAL,
                limit))];
    }

    /**
     * Starts reading; what has already arrived is read before this returns.
     *
     * @param declaredLength the {@code Content-Length}, or a negative number when there is none
     * @param limit          largest body accepted (at most {@link Integer#MAX_VALUE} - 8)
     * @param minDataRate    bytes per second the body must keep up from its first byte; 0 = not checked
     */
    static CompletableFuture<byte[]> read(Content.Source source, long declaredLength, long limit, long minDataRate) {
        if (declaredLength > limit) {
            return CompletableFuture.failedFuture(tooLarge(limit));
        }
        AsyncBody reader = new AsyncBody(source, declaredLength, Math.min(limit, Integer.MAX_VALUE - 8), minDataRate);
        reader.run();
        return reader.result;
    }

    /** Reads what is there; asks to be called again when more arrives. */
    @Override
    public void run() {
        try {
            while (!result.isDone()) {
                Content.Chunk chunk = source.read();
                if (chunk == null) {
                    source.demand(this);
                    return;
                }
                if (Content.Chunk.isFailure(chunk)) {
                    result.completeExceptionally(new Failure(classify(chunk.getFailure()), chunk.getFailure()));
                    return;
                }
                boolean last = chunk.isLast();
                try {
                    ByteBuffer buffer = chunk.getByteBuffer();
                    int n = buffer.remaining();
                    if ((long) total + n > limit) {
                        result.completeExceptionally(tooLarge(limit));
                        return;
                    }
                    if (total + n > bytes.length) {
                        bytes = Arrays.copyOf(bytes, (int) Math.min(limit, Math.max((long) bytes.length * 2, total + n)));
                    }
                    buffer.get(bytes, total, n);
                    total += n;
                } finally {
                    chunk.release();
                }
                if (tooSlow()) {
                    result.completeExceptionally(new Failure(Kind.TOO_SLOW, new TimeoutException(
                            "body below " + minDataRate + " B/s")));
                    return;
                }
                if (last) {
                    result.complete(total == bytes.length ? bytes : Arrays.copyOf(bytes, total));
                    return;
                }
            }
        } catch (RuntimeException e) {
            result.completeExceptionally(new Failure(classify(e), e));
        }
    }

    /** Whether the bytes so far are fewer than the minimum rate asks for since the first one. */
    private boolean tooSlow() {
        if (minDataRate <= 0 || total == 0) {
            return false;
        }
        long now = System.nanoTime();
        if (firstByteNanos == 0) {
            firstByteNanos = now;
            return false;
        }
        long elapsed = now - firstByteNanos;
        return elapsed > 0 && total < minDataRate * (double) elapsed / 1e9;
    }

    /** Jetty reports a too-slow body as a 408 HTTP exception, an idle connection as a timeout. */
    static Kind classify(Throwable t) {
        for (Throwable c = t; c != null; c = c.getCause() == c ? null : c.getCause()) {
            if (c instanceof TimeoutException) {
                return Kind.TOO_SLOW;
            }
            if (c instanceof HttpException http && http.getCode() == 408) {
                return Kind.TOO_SLOW;
            }
        }
        return Kind.MALFORMED;
    }

    private static HttpProblem tooLarge(long limit) {
        return HttpProblem.contentTooLarge("body larger than " + limit + " bytes");
    }
}
