package dev.pdpipeline.ingress.http;

import dev.pdpipeline.ingress.metrics.IngressMetrics;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import javax.net.ssl.SSLEngineResult;
import org.eclipse.jetty.http.HttpParser;
import org.eclipse.jetty.io.Connection;
import org.eclipse.jetty.io.EndPoint;
import org.eclipse.jetty.io.SocketChannelEndPoint;
import org.eclipse.jetty.io.ssl.SslConnection;
import org.eclipse.jetty.server.AbstractConnector;
import org.eclipse.jetty.server.internal.HttpConnection;
import org.eclipse.jetty.util.NanoTime;
import org.eclipse.jetty.util.component.AbstractLifeCycle;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Two connection-level defences Jetty has no setting for:
 *
 * <ul>
 *   <li><b>Header deadline.</b> Jetty's idle timeout restarts with every byte, so a client that
 *       sends its headers one byte at a time keeps a connection forever. Every sweep (a tenth of
 *       the deadline, at most 1 s) closes each connection whose request started (first byte
 *       parsed) longer than the deadline ago and is still in its request line or headers, and
 *       each TLS connection still handshaking after the deadline. No thread is involved while
 *       headers arrive (Jetty parses them as they come), so this bounds connections, not threads.</li>
 *   <li><b>Connections per client address.</b> A connection beyond the bound is closed as soon
 *       as it opens, before a byte is read. The address is the TCP peer: behind a reverse proxy
 *       that is the proxy, so raise the bound there (or set 0).</li>
 * </ul>
 */
final class ConnectionGuard extends AbstractLifeCycle implements Connection.Listener {

    private static final Logger LOG = LoggerFactory.getLogger(ConnectionGuard.class);
    private static final long WARN_EVERY_NANOS = TimeUnit.SECONDS.toNanos(10);

    private final AbstractConnector connector;
    private final long headerTimeoutNanos;
    private final int maxPerAddress;
    private final IngressMetrics metrics;
    private final Map<InetAddress, Integer> perAddress = new ConcurrentHashMap<>();
    /** The address each counted connection was counted under (a closed channel no longer tells). */
    private final Map<Connection, InetAddress> counted = new ConcurrentHashMap<>();
    private final AtomicLong lastRefusalWarning = new AtomicLong(NanoTime.now() - WARN_EVERY_NANOS);
    private final AtomicLong lastHeaderWarning = new AtomicLong(NanoTime.now() - WARN_EVERY_NANOS);
    private ScheduledExecutorService sweeper;

    ConnectionGuard(AbstractConnector connector, Duration headerTimeout, int maxPerAddress, IngressMetrics metrics) {
        this.connector = Objects.requireNonNull(connector, "connector");
        this.headerTimeoutNanos = headerTimeout.toNanos();
        this.maxPerAddress = maxPerAddress;
        this.metrics = Objects.requireNonNull(metrics, "metrics");
    }

    @Override
    protected void doStart() {
        sweeper = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "ingress-header-deadline");
            t.setDaemon(true);
            return t;
        });
        long period = Math.max(50, Math.min(1_000, TimeUnit.NANOSECONDS.toMillis(headerTimeoutNanos) / 10));
        sweeper.scheduleWithFixedDelay(this::sweep, period, period, TimeUnit.MILLISECONDS);
    }

    @Override
    protected void doStop() {
        sweeper.shutdownNow();
    }

    @Override
    public void onOpened(Connection connection) {
        // only the network-level connection counts: under TLS the HTTP connection opens again on the decrypted end
        if (maxPerAddress == 0 || !(connection.getEndPoint() instanceof SocketChannelEndPoint)) {
            return;
        }
        InetAddress address = address(connection.getEndPoint().getRemoteSocketAddress());
        if (address == null) {
            return;
        }
        int count = perAddress.merge(address, 1, Integer::sum);
        if (count <= maxPerAddress) {
            counted.put(connection, address);
        } else {
            perAddress.merge(address, -1, ConnectionGuard::decrement);
            metrics.connectionClosed(IngressMetrics.CLOSED_ADDRESS_LIMIT);
            if (rateLimited(lastRefusalWarning)) {
                LOG.warn("Refusing connections from {}: it already holds {} (INGRESS_MAX_CONNECTIONS_PER_ADDRESS); "
                        + "further refusals are counted in pdpipeline_ingress_connections_closed_total", address
                        .getHostAddress(), maxPerAddress);
            }
            connection.getEndPoint().close();
        }
    }

    @Override
    public void onClosed(Connection connection) {
        InetAddress address = counted.remove(connection);
        if (address != null) {
            perAddress.computeIfPresent(address, (a, n) -> decrement(n, -1));
        }
    }

    /** Open connections counted for {@code address} (for tests). */
    int connections(InetAddress address) {
        return perAddress.getOrDefault(address, 0);
    }

    private void sweep() {
        try {
            long now = NanoTime.now();
            for (EndPoint endPoint : connector.getConnectedEndPoints()) {
                if (overHeaderDeadline(endPoint.getConnection(), now)) {
                    metrics.connectionClosed(IngressMetrics.CLOSED_HEADER_TIMEOUT);
                    if (rateLimited(lastHeaderWarning)) {
                        LOG.warn("Closed connection from {}: request headers not received within {} ms "
                                        + "(INGRESS_HEADER_TIMEOUT_MS); further ones are counted in "
                                        + "pdpipeline_ingress_connections_closed_total", endPoint.getRemoteSocketAddress(),
                                TimeUnit.NANOSECONDS.toMillis(headerTimeoutNanos));
                    }
                    endPoint.close();
                }
            }
        } catch (RuntimeException e) {
            LOG.warn("Header deadline sweep failed: {}", e.toString());
        }
    }

    private boolean overHeaderDeadline(Connection connection, long now) {
        if (connection instanceof SslConnection ssl) {
            SSLEngineResult.HandshakeStatus status = ssl.getSSLEngine().getHandshakeStatus();
            boolean handshaking = status != SSLEngineResult.HandshakeStatus.NOT_HANDSHAKING
                    && status != SSLEngineResult.HandshakeStatus.FINISHED;
            if (handshaking) {
                long ageMs = System.currentTimeMillis() - ssl.getCreatedTimeStamp();
                return TimeUnit.MILLISECONDS.toNanos(ageMs) > headerTimeoutNanos;
            }
            connection = ssl.getSslEndPoint().getConnection();
        }
        if (!(connection instanceof HttpConnection http)) {
            return false;
        }
        HttpParser parser = http.getParser();
        HttpParser.State state = parser.getState();
        boolean inHeaders = state.compareTo(HttpParser.State.START) > 0 && state.compareTo(HttpParser.State.CONTENT) < 0;
        return inHeaders && now - parser.getBeginNanoTime() > headerTimeoutNanos;
    }

    private static boolean rateLimited(AtomicLong last) {
        long now = NanoTime.now();
        long before = last.get();
        return now - before >= WARN_EVERY_NANOS && last.compareAndSet(before, now);
    }

    private static Integer decrement(Integer n, Integer delta) {
        int next = n + delta;
        return next <= 0 ? null : next;
    }

    private static InetAddress address(SocketAddress socket) {
        return socket instanceof InetSocketAddress inet ? inet.getAddress() : null;
    }
}
