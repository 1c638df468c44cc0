package dev.pdpipeline.ingress.http;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.handler.ErrorHandler;
import org.eclipse.jetty.util.Callback;

/**
 * Answers the errors Jetty produces itself, before any handler runs (bad framing, a malformed
 * request line, headers over the limit), in the same {@code {"error": ...}} shape as every other
 * answer. The text is fixed per status: never Jetty's message, which can quote the request.
 */
final class JsonErrorHandler extends ErrorHandler {

    @Override
    protected void generateResponse(Request request, Response response, int code, String message, Throwable cause,
            Callback callback) throws IOException {
        byte[] body = ("{\"error\":\"" + text(code) + "\"}").getBytes(StandardCharsets.UTF_8);
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/json");
        response.getHeaders().put(HttpHeader.CONTENT_LENGTH, body.length);
        response.write(true, ByteBuffer.wrap(body), callback);
    }

    static String text(int code) {
        return switch (code) {
            case 400 -> "bad request";
            case 404 -> "not found";
            case 405 -> "method not allowed";
            case 408 -> "request timeout";
            case 411 -> "length required";
            case 413 -> "body too large";
            case 414 -> "request URI too long";
            case 417 -> "expectation failed";
            case 431 -> "request headers too large";
            case 501 -> "not implemented";
            case 505 -> "HTTP version not supported";
            default -> code >= 500 ? "internal error" : "request failed";
        };
    }
}
