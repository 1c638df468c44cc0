package dev.pdpipeline.ingress.testing;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * HTTP/1.1 over a plain socket, for requests {@code java.net.http} refuses to send (any header
 * bytes, huge headers, hand-made chunking, stalled clients). One request per connection.
 */
public final class RawHttp {

    private RawHttp() {
    }

    /** A parsed response: status, headers (lower-case names) and body. */
    public record Response(int status, Map<String, String> headers, String body, String raw) {
    }

    /** Sends {@code head} (request line and headers, CRLF-terminated, without the blank line) and body. */
    public static Response exchange(int port, byte[] head, byte[] body, int timeoutMillis) throws IOException {
        try (Socket socket = new Socket("127.0.0.1", port)) {
            socket.setSoTimeout(timeoutMillis);
            OutputStream out = socket.getOutputStream();
            try {
                out.write(head);
                out.write("\r\n".getBytes(StandardCharsets.US_ASCII));
                out.write(body);
                out.flush();
            } catch (IOException e) {
                // the server may answer and close before reading everything (413, 431): read what it said
            }
            return read(socket.getInputStream());
        }
    }

    /** Reads a response until the server closes the connection (requests say Connection: close). */
    public static Response read(InputStream in) throws IOException {
        ByteArrayOutputStream all = new ByteArrayOutputStream();
        byte[] buffer = new byte[8192];
        try {
            int n;
            while ((n = in.read(buffer)) != -1) {
                all.write(buffer, 0, n);
            }
        } catch (SocketTimeoutException | java.net.SocketException e) {
            if (all.size() == 0) {
                throw e;
            }
        }
        return parse(all.toString(StandardCharsets.ISO_8859_1));
    }

    /** Parses a raw response; status -1 when nothing came back. */
    public static Response parse(String raw) {
        if (raw.isEmpty()) {
            return new Response(-1, Map.of(), "", raw);
        }
        String rest = raw;
        // skip interim answers such as "100 Continue"
        while (rest.startsWith("HTTP/1.1 1") && rest.indexOf("\r\n\r\n") >= 0
                && rest.indexOf("\r\n\r\n") + 4 < rest.length()) {
            rest = rest.substring(rest.indexOf("\r\n\r\n") + 4);
        }
        int headEnd = rest.indexOf("\r\n\r\n");
        String head = headEnd < 0 ? rest : rest.substring(0, headEnd);
        String body = headEnd < 0 ? "" : rest.substring(headEnd + 4);
        String[] lines = head.split("\r\n");
        String[] statusLine = lines[0].split(" ", 3);
        Map<String, String> headers = new LinkedHashMap<>();
        for (int i = 1; i < lines.length; i++) {
            int colon = lines[i].indexOf(':');
            if (colon > 0) {
                headers.put(lines[i].substring(0, colon).trim().toLowerCase(Locale.ROOT),
                        lines[i].substring(colon + 1).trim());
            }
        }
        if ("chunked".equalsIgnoreCase(headers.get("transfer-encoding"))) {
            body = dechunk(body);
        }
        return new Response(Integer.parseInt(statusLine[1]), headers, body, raw);
    }

    /** Request head bytes: {@code POST path HTTP/1.1}, Host, Connection: close, then {@code headers}. */
    public static byte[] head(String method, String path, int port, String... headers) {
        StringBuilder b = new StringBuilder(method).append(' ').append(path).append(" HTTP/1.1\r\n")
                .append("Host: 127.0.0.1:").append(port).append("\r\n")
                .append("Connection: close\r\n");
        for (String h : headers) {
            b.append(h).append("\r\n");
        }
        return b.toString().getBytes(StandardCharsets.ISO_8859_1);
    }

    /** {@code body} as chunked transfer coding, in chunks of {@code size} bytes. */
    public static byte[] chunked(byte[] body, int size) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (int i = 0; i < body.length; i += size) {
            int n = Math.min(size, body.length - i);
            out.writeBytes((Integer.toHexString(n) + "\r\n").getBytes(StandardCharsets.US_ASCII));
            out.write(body, i, n);
            out.writeBytes("\r\n".getBytes(StandardCharsets.US_ASCII));
        }
        out.writeBytes("0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
        return out.toByteArray();
    }

    private static String dechunk(String body) {
        StringBuilder out = new StringBuilder();
        int at = 0;
        while (at < body.length()) {
            int eol = body.indexOf("\r\n", at);
            if (eol < 0) {
                break;
            }
            int size = Integer.parseInt(body.substring(at, eol).split(";")[0].trim(), 16);
            if (size == 0) {
                break;
            }
            out.append(body, eol + 2, Math.min(body.length(), eol + 2 + size));
            at = eol + 2 + size + 2;
        }
        return out.toString();
    }
}
