package dev.pdpipeline.bench.load;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.IntFunction;

/**
 * A deliberately minimal HTTP/1.1 load client: {@code connections} keep-alive sockets, each owned
 * by one thread that writes a request and reads the answer (status line, headers, body). It does
 * a few microseconds of work per request, so that on a small machine the client is not what is
 * being measured (the JDK's HttpClient costs ~0.5–1 ms of CPU per request here).
 */
public final class PooledHttpClient implements OpenLoop.Target, AutoCloseable {

    private record Task(int index, CompletableFuture<Boolean> answer) {
    }

    private static final Task STOP = new Task(-1, null);
    /** How long a connection waits for an answer before the request counts as a {@link #TIMEOUT}. */
    public static final int READ_TIMEOUT_MS = 15_000;
    /** Failure kind: no answer within {@link #READ_TIMEOUT_MS}. */
    public static final String TIMEOUT = "timeout";
    /** Failure kind: the connection broke or could not be made. */
    public static final String IO = "io";

    private final String host;
    private final int port;
    private final String path;
    private final int expectedStatus;
    private final IntFunction<HttpTarget.Request> requests;
    private final BlockingQueue<Task> queue = new LinkedBlockingQueue<>();
    private final List<Thread> workers = new ArrayList<>();
    /** Failed answers since the last {@link #takeFailures}, by kind: the status, "timeout" or "io". */
    private final Map<String, LongAdder> failures = new ConcurrentHashMap<>();

    public PooledHttpClient(String host, int port, String path, int connections, int expectedStatus,
            IntFunction<HttpTarget.Request> requests) {
        this.host = Objects.requireNonNull(host, "host");
        this.port = port;
        this.path = Objects.requireNonNull(path, "path");
        this.expectedStatus = expectedStatus;
        this.requests = Objects.requireNonNull(requests, "requests");
        for (int i = 0; i < connections; i++) {
            Thread t = new Thread(this::work, "bench-client-" + i);
            t.setDaemon(true);
            t.start();
            workers.add(t);
        }
    }

    @Override
    public CompletableFuture<Boolean> send(int index) {
        CompletableFuture<Boolean> answer = new CompletableFuture<>();
        queue.add(new Task(index, answer));
        return answer;
    }

    /**
     * The failed answers counted since the last call, by kind, and starts counting again: a status
     * other than the expected one ("503"), no answer within the socket timeout ("timeout"), or a
     * broken connection ("io"). A run that failed says why, not only how often.
     */
    public Map<String, Long> takeFailures() {
        Map<String, Long> taken = new TreeMap<>();
        failures.forEach((kind, count) -> {
            long n = count.sumThenReset();
            if (n > 0) {
                taken.put(kind, n);
            }
        });
        return taken;
    }

    private void failed(String kind) {
        failures.computeIfAbsent(kind, k -> new LongAdder()).increment();
    }

    private void work() {
        Socket socket = null;
        OutputStream out = null;
        InputStream in = null;
        while (true) {
            Task task;
            try {
                task = queue.take();
            } catch (InterruptedException e) {
                break;
            }
            if (task == STOP) {
                break;
            }
            try {
                if (socket == null) {
                    socket = new Socket();
                    socket.setTcpNoDelay(true);
                    socket.connect(new InetSocketAddress(host, port), 5_000);
                    socket.setSoTimeout(READ_TIMEOUT_MS);
                    out = new BufferedOutputStream(socket.getOutputStream(), 16 * 1024);
                    in = new BufferedInputStream(socket.getInputStream(), 8 * 1024);
                }
                HttpTarget.Request r = requests.apply(task.index());
                StringBuilder head = new StringBuilder(256).append("POST ").append(path).append(" HTTP/1.1\r\nHost: ")
                        .append(host).append(':').append(port)
                        .append("\r\nContent-Type: application/json\r\nX-Webhook-Subscription: PSUBSCRIPTION1")
                        .append("\r\nContent-Length: ").append(r.body().length);
                if (r.signature() != null) {
                    head.append("\r\nX-PagerDuty-Signature: ").append(r.signature());
                }
                if (r.webhookId() != null) {
                    head.append("\r\nX-Webhook-Id: ").append(r.webhookId());
                }
                head.append("\r\n\r\n");
                out.write(head.toString().getBytes(StandardCharsets.US_ASCII));
                out.write(r.body());
                out.flush();
                Response response = read(in);
                if (response.close()) {
                    socket.close();
                    socket = null;
                }
                boolean ok = response.status() == expectedStatus;
                if (!ok) {
                    failed(Integer.toString(response.status()));
                }
                task.answer().complete(ok);
            } catch (IOException | RuntimeException e) {
                failed(e instanceof SocketTimeoutException ? TIMEOUT : IO);
                task.answer().complete(false);
                if (socket != null) {
                    try {
                        socket.close();
                    } catch (IOException ignored) {
                        // already broken
                    }
                    socket = null;
                }
            }
        }
        if (socket != null) {
            try {
                socket.close();
            } catch (IOException ignored) {
                // closing anyway
            }
        }
    }

    private record Response(int status, boolean close) {
    }

    private static Response read(InputStream in) throws IOException {
        String status = line(in);
        if (!status.startsWith("HTTP/1.")) {
            throw new IOException("not an HTTP answer: " + status);
        }
        int code = Integer.parseInt(status.substring(9, 12));
        long length = -1;
        boolean chunked = false;
        boolean close = false;
        for (String header = line(in); !header.isEmpty(); header = line(in)) {
            String lower = header.toLowerCase(Locale.ROOT);
            if (lower.startsWith("content-length:")) {
                length = Long.parseLong(lower.substring(15).trim());
            } else if (lower.startsWith("transfer-encoding:") && lower.contains("chunked")) {
                chunked = true;
            } else if (lower.startsWith("connection:") && lower.contains("close")) {
                close = true;
            }
        }
        if (chunked) {
            for (long size = Long.parseLong(line(in).split(";")[0].trim(), 16); size > 0;
                    size = Long.parseLong(line(in).split(";")[0].trim(), 16)) {
                skip(in, size);
                line(in);
            }
            for (String trailer = line(in); !trailer.isEmpty(); trailer = line(in)) {
                // trailers: none expected
            }
        } else if (length > 0) {
            skip(in, length);
        } else if (length < 0) {
            close = true; // body until close: not reusable
        }
        return new Response(code, close);
    }

    private static void skip(InputStream in, long n) throws IOException {
        long left = n;
        while (left > 0) {
            long skipped = in.skip(left);
            if (skipped <= 0) {
                if (in.read() < 0) {
                    throw new IOException("connection closed in a body");
                }
                skipped = 1;
            }
            left -= skipped;
        }
    }

    private static String line(InputStream in) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream(64);
        int c;
        while ((c = in.read()) >= 0) {
            if (c == '\n') {
                break;
            }
            if (c != '\r') {
                b.write(c);
            }
        }
        if (c < 0 && b.size() == 0) {
            throw new IOException("connection closed");
        }
        return b.toString(StandardCharsets.ISO_8859_1);
    }

    @Override
    public void close() {
        for (int i = 0; i < workers.size(); i++) {
            queue.add(STOP);
        }
        for (Thread t : workers) {
            try {
                t.join(2_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }
}
