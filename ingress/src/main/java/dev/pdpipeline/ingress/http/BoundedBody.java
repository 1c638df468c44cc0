package dev.pdpipeline.ingress.http;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;

/**
 * Reads a request body without ever holding more than the limit: a declared
 * {@code Content-Length} over the limit is refused before reading a byte, and a body without one
 * (chunked) is refused as soon as it passes the limit.
 */
final class BoundedBody {

    private static final int CHUNK = 8192;

    private BoundedBody() {
    }

    /**
     * @param declaredLength the {@code Content-Length}, or a negative number when there is none
     * @throws HttpProblem 413 when the body is larger than {@code limit}
     * @throws IOException when the client stops sending halfway
     */
    static byte[] read(InputStream in, long declaredLength, long limit) throws IOException {
        if (declaredLength > limit) {
            throw tooLarge(limit);
        }
        int initial = (int) Math.min(declaredLength >= 0 ? declaredLength : CHUNK, limit);
        ByteArrayOutputStream out = new ByteArrayOutputStream(Math.max(initial, 16));
        byte[] buffer = new byte[CHUNK];
        long total = 0;
        int n;
        while ((n = in.read(buffer, 0, (int) Math.min(buffer.length, limit - total + 1))) != -1) {
            total += n;
            if (total > limit) {
                throw tooLarge(limit);
            }
            out.write(buffer, 0, n);
        }
        return out.toByteArray();
    }

    private static HttpProblem tooLarge(long limit) {
        return HttpProblem.contentTooLarge("body larger than " + limit + " bytes");
    }
}
