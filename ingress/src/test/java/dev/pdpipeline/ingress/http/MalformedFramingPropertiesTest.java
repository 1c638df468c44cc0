package dev.pdpipeline.ingress.http;

import static org.assertj.core.api.Assertions.assertThat;

import dev.pdpipeline.ingress.metrics.IngressMetrics;
import dev.pdpipeline.ingress.signature.WebhookSecret;
import dev.pdpipeline.ingress.testing.RawHttp;
import dev.pdpipeline.ingress.testing.Webhooks;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;
import net.jqwik.api.statistics.Statistics;

/**
 * Broken body framing sent as raw bytes on a socket (an HTTP client library would refuse to
 * produce most of it): chunk sizes that are not hex or overflow, chunks shorter or longer than
 * announced, missing CRLFs, a Content-Length that does not match the body, conflicting or
 * duplicated framing headers. Every body carries a genuine signature, so only the framing is
 * wrong. The answer is always a 4xx (a JSON one when there is a body), never a 5xx, and nothing
 * is published.
 */
class MalformedFramingPropertiesTest {

    private static final String SECRET = "framing-secret";
    private static final long LIMIT = 64 * 1024;

    private static WebhookServerTest.FakePublisher publisher;
    private static WebhookServer server;

    @BeforeContainer
    static void start() {
        publisher = new WebhookServerTest.FakePublisher();
        IngressMetrics metrics = new IngressMetrics(new SimpleMeterRegistry());
        WebhookEndpoint endpoint = new WebhookEndpoint(() -> List.of(new WebhookSecret(SECRET, "fp")), publisher,
                () -> true, metrics, LIMIT, Duration.ofSeconds(2), Duration.ofSeconds(2), Clock.systemUTC());
        server = WebhookServer.start("127.0.0.1", 0, endpoint, metrics, LIMIT, Duration.ofSeconds(1));
    }

    @AfterContainer
    static void stop() {
        server.close();
    }

    /** The ways framing is broken. */
    enum Breakage {
        NON_HEX_CHUNK_SIZE, OVERFLOWING_CHUNK_SIZE, NEGATIVE_CHUNK_SIZE, CHUNK_SHORTER_THAN_ANNOUNCED,
        CHUNK_LONGER_THAN_ANNOUNCED, MISSING_CRLF_AFTER_CHUNK, MISSING_LAST_CHUNK, MALFORMED_TRAILER,
        CONTENT_LENGTH_LONGER_THAN_BODY, CONTENT_LENGTH_SHORTER_THAN_BODY, CONTENT_LENGTH_AND_CHUNKED,
        TWO_DIFFERENT_CONTENT_LENGTHS, NON_NUMERIC_CONTENT_LENGTH, UNKNOWN_TRANSFER_ENCODING,
        CHUNKED_NOT_LAST_ENCODING, BARE_LF_CHUNK_LINES
    }

    /** One broken request; {@code junk} feeds the breakage (the non-hex size, the garbage, the offset). */
    record Broken(Breakage breakage, byte[] body, String junk, int offset) {

        byte[] bytes(int port) {
            String signature = "X-PagerDuty-Signature: " + Webhooks.sign(SECRET, body);
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            int cut = Math.max(1, Math.min(body.length - 1, offset % Math.max(1, body.length)));
            switch (breakage) {
                case NON_HEX_CHUNK_SIZE -> {
                    head(out, port, signature, "Transfer-Encoding: chunked");
                    ascii(out, nonHex() + "\r\n");
                    out.writeBytes(body);
                    ascii(out, "\r\n0\r\n\r\n");
                }
                case OVERFLOWING_CHUNK_SIZE -> {
                    head(out, port, signature, "Transfer-Encoding: chunked");
                    ascii(out, "f".repeat(17 + offset % 40) + "\r\n");
                    out.writeBytes(body);
                    ascii(out, "\r\n0\r\n\r\n");
                }
                case NEGATIVE_CHUNK_SIZE -> {
                    head(out, port, signature, "Transfer-Encoding: chunked");
                    ascii(out, "-" + Integer.toHexString(body.length) + "\r\n");
                    out.writeBytes(body);
                    ascii(out, "\r\n0\r\n\r\n");
                }
                case CHUNK_SHORTER_THAN_ANNOUNCED -> {
                    head(out, port, signature, "Transfer-Encoding: chunked");
                    ascii(out, Integer.toHexString(body.length + 1 + offset) + "\r\n");
                    out.writeBytes(body);
                    ascii(out, "\r\n0\r\n\r\n");
                }
                case CHUNK_LONGER_THAN_ANNOUNCED -> {
                    head(out, port, signature, "Transfer-Encoding: chunked");
                    ascii(out, Integer.toHexString(cut) + "\r\n");
                    out.writeBytes(body);
                    ascii(out, "\r\n0\r\n\r\n");
                }
                case MISSING_CRLF_AFTER_CHUNK -> {
                    head(out, port, signature, "Transfer-Encoding: chunked");
                    ascii(out, Integer.toHexString(body.length) + "\r\n");
                    out.writeBytes(body);
                    ascii(out, "0\r\n\r\n");
                }
                case MISSING_LAST_CHUNK -> {
                    head(out, port, signature, "Transfer-Encoding: chunked");
                    ascii(out, Integer.toHexString(body.length) + "\r\n");
                    out.writeBytes(body);
                    ascii(out, "\r\n");
                }
                case MALFORMED_TRAILER -> {
                    head(out, port, signature, "Transfer-Encoding: chunked");
                    byte[] chunked = RawHttp.chunked(body, 1 + offset % 500);
                    out.write(chunked, 0, chunked.length - 2); // without the blank line that ends the trailers
                    ascii(out, token() + "\u0001: x\r\n\r\n");
                }
                case CONTENT_LENGTH_LONGER_THAN_BODY -> {
                    head(out, port, signature, "Content-Length: " + (body.length + 1 + offset));
                    out.writeBytes(body);
                }
                case CONTENT_LENGTH_SHORTER_THAN_BODY -> {
                    head(out, port, signature, "Content-Length: " + cut);
                    out.writeBytes(body);
                }
                case CONTENT_LENGTH_AND_CHUNKED -> {
                    head(out, port, signature, "Content-Length: " + body.length, "Transfer-Encoding: chunked");
                    out.writeBytes(RawHttp.chunked(body, 1 + offset % 500));
                }
                case TWO_DIFFERENT_CONTENT_LENGTHS -> {
                    head(out, port, signature, "Content-Length: " + body.length, "Content-Length: " + cut);
                    out.writeBytes(body);
                }
                case NON_NUMERIC_CONTENT_LENGTH -> {
                    head(out, port, signature, "Content-Length: " + nonHex());
                    out.writeBytes(body);
                }
                case UNKNOWN_TRANSFER_ENCODING -> {
                    head(out, port, signature, "Transfer-Encoding: " + (junk.isBlank() ? "gzip" : "x" + token()));
                    out.writeBytes(body);
                }
                case CHUNKED_NOT_LAST_ENCODING -> {
                    head(out, port, signature, "Transfer-Encoding: chunked, identity");
                    out.writeBytes(RawHttp.chunked(body, 1 + offset % 500));
                }
                case BARE_LF_CHUNK_LINES -> {
                    head(out, port, signature, "Transfer-Encoding: chunked");
                    ascii(out, Integer.toHexString(body.length) + "\n");
                    out.writeBytes(body);
                    ascii(out, "\n0\n\n");
                }
                default -> throw new IllegalStateException();
            }
            return out.toByteArray();
        }

        /** A chunk size or length with at least one character that is not a hex digit. */
        private String nonHex() {
            String printable = junk.replaceAll("[\\r\\n]", "");
            return printable.matches(".*[^0-9a-fA-F].*") ? printable : printable + "g";
        }

        private String token() {
            return junk.replaceAll("[^A-Za-z0-9]", "");
        }

        private static void head(ByteArrayOutputStream out, int port, String... headers) {
            out.writeBytes(RawHttp.head("POST", WebhookEndpoint.PATH, port, headers));
            ascii(out, "\r\n");
        }

        private static void ascii(ByteArrayOutputStream out, String text) {
            out.writeBytes(text.getBytes(StandardCharsets.ISO_8859_1));
        }

        @Override
        public String toString() {
            return "Broken[" + breakage + ", bytes=" + body.length + ", junk=" + junk + ", offset=" + offset + "]";
        }
    }

    @Property(tries = 300)
    void brokenFramingIsAlwaysA4xxAndNeverPublished(@ForAll("broken") Broken request) throws IOException {
        int before = publisher.received.size();

        RawHttp.Response response = sendAndHalfClose(server.port(), request.bytes(server.port()));

        Statistics.label("breakage").collect(request.breakage());
        Statistics.label("status").collect(response.status());
        assertThat(response.status()).as(response.raw()).isBetween(400, 499);
        assertThat(response.headers().get("content-type")).as(response.raw()).startsWith("application/json");
        assertThat(response.body()).as(response.raw()).startsWith("{\"error\":\"");
        assertThat(response.raw()).doesNotContain("at dev.", "at org.", "Exception", "Jetty", "<html");
        assertThat(publisher.received.size()).as("published").isEqualTo(before);
    }

    @Provide
    Arbitrary<Broken> broken() {
        Arbitrary<byte[]> body = Arbitraries.integers().between(2, 3000).map(n -> {
            byte[] b = new byte[n];
            Arrays.fill(b, (byte) 'a');
            b[0] = '{';
            b[n - 1] = '}';
            return b;
        });
        Arbitrary<String> junk = Arbitraries.strings().withCharRange('!', '~').ofMinLength(1).ofMaxLength(12);
        return Combinators.combine(Arbitraries.of(Breakage.class), body, junk, Arbitraries.integers().between(0, 5000))
                .as(Broken::new);
    }

    /**
     * Writes the request, then half-closes (so a body shorter than announced ends in EOF rather
     * than in the body deadline), and reads the answer until the server closes.
     */
    static RawHttp.Response sendAndHalfClose(int port, byte[] request) throws IOException {
        try (Socket socket = new Socket("127.0.0.1", port)) {
            socket.setSoTimeout(15_000);
            OutputStream out = socket.getOutputStream();
            try {
                out.write(request);
                out.flush();
                socket.shutdownOutput();
            } catch (IOException e) {
                // the server may answer and close before reading everything: read what it said
            }
            return RawHttp.read(socket.getInputStream());
        }
    }
}
