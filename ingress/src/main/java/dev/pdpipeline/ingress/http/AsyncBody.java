package dev.pdpipeline.ingress.http;

import jakarta.servlet.ReadListener;
import jakarta.servlet.ServletInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeoutException;
import org.eclipse.jetty.http.HttpException;

/**
 * Reads a request body without parking a thread while it arrives: servlet non-blocking IO
 * ({@link ReadListener}), so a client that trickles its body costs a connection, not a Jetty
 * thread. Never holds more than the limit: a body without a declared length (chunked) is refused
 * as soon as it passes it.
 *
 * <p>The result fails with a {@link HttpProblem} 413 when the body is too large, and with a
 * {@link Failure} when the framing is broken or the body stops halfway (400) or arrives too
 * slowly for Jetty's minimum data rate or idle timeout (408). The caller bounds the whole read
 * with its own deadline.
 */
final class AsyncBody implements ReadListener {

    private static final int CHUNK = 8192;

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

    private final ServletInputStream in;
    private final long limit;
    private final ByteArrayOutputStream out;
    private final byte[] buffer = new byte[CHUNK];
    private final CompletableFuture<byte[]> result = new CompletableFuture<>();
    private long total;

    private AsyncBody(ServletInputStream in, long declaredLength, long limit) {
        this.in = in;
        this.limit = limit;
        int initial = (int) Math.min(declaredLength >= 0 ? declaredLength : CHUNK, limit);
        this.out = new ByteArrayOutputStream(Math.max(initial, 16));
    }

    /**
     * Starts reading; the request must be in async mode (inside {@code ctx.future}).
     *
     * @param declaredLength the {@code Content-Length}, or a negative number when there is none
     */
    static CompletableFuture<byte[]> read(ServletInputStream in, long declaredLength, long limit) {
        if (declaredLength > limit) {
            return CompletableFuture.failedFuture(tooLarge(limit));
        }
        AsyncBody reader = new AsyncBody(in, declaredLength, limit);
        try {
            in.setReadListener(reader);
        } catch (RuntimeException e) {
            reader.result.completeExceptionally(new Failure(Kind.MALFORMED, e));
        }
        return reader.result;
    }

    @Override
    public void onDataAvailable() {
        try {
            // isReady() == false registers interest: the container calls back when more arrives
            while (!result.isDone() && in.isReady()) {
                int n = in.read(buffer, 0, (int) Math.min(buffer.length, limit - total + 1));
                if (n == -1) {
                    return; // onAllDataRead follows
                }
                total += n;
                if (total > limit) {
                    result.completeExceptionally(tooLarge(limit));
                    return;
                }
                out.write(buffer, 0, n);
            }
        } catch (IOException | RuntimeException e) {
            onError(e);
        }
    }

    @Override
    public void onAllDataRead() {
        result.complete(out.toByteArray());
    }

    @Override
    public void onError(Throwable t) {
        result.completeExceptionally(new Failure(classify(t), t));
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
