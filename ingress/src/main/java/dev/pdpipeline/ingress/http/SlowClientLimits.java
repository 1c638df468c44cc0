package dev.pdpipeline.ingress.http;

import java.time.Duration;
import java.util.Objects;

/**
 * What the webhook listener allows a client before it closes the connection, so that slow or
 * numerous connections from anyone who can reach the port cannot starve genuine deliveries. The
 * defaults fit PagerDuty: a delivery is at most 256 KB and is given up after 5 s, so a request
 * still arriving after 5 s can no longer be answered in time anyway.
 *
 * @param headerTimeout             longest time from the first byte of a request to the end of
 *                                  its headers (and for a TLS handshake); past it the connection is closed
 * @param bodyTimeout               longest time from the end of the headers to the last byte of
 *                                  the body; past it the answer is 408 and the connection is closed
 * @param minRequestDataRate        bytes per second a body must keep up, averaged from its first
 *                                  byte (Jetty's minimum request data rate); 0 = not checked (the default)
 * @param maxConnectionsPerAddress  open connections one client address may hold; 0 = no bound
 * @param maxConnections            open connections in all; at the bound the listener stops
 *                                  accepting until one closes (Jetty's network connection limit)
 */
public record SlowClientLimits(Duration headerTimeout, Duration bodyTimeout, long minRequestDataRate,
        int maxConnectionsPerAddress, int maxConnections) {

    public static final Duration DEFAULT_HEADER_TIMEOUT = Duration.ofSeconds(5);
    public static final Duration DEFAULT_BODY_TIMEOUT = Duration.ofSeconds(5);
    /**
     * Off by default: Jetty averages from the first byte of the body, so a small body whose last
     * bytes come a few milliseconds after the first (1 byte, then the chunk terminator 2 ms
     * later, is 500 B/s) is already "too slow" at 1 KB/s. The body deadline bounds slow bodies
     * without that false alarm; set a rate when the deadline is raised far above PagerDuty's 5 s.
     */
    public static final long DEFAULT_MIN_REQUEST_DATA_RATE = 0;
    public static final int DEFAULT_MAX_CONNECTIONS_PER_ADDRESS = 256;
    public static final int DEFAULT_MAX_CONNECTIONS = 10_000;

    public SlowClientLimits {
        positive(headerTimeout, "headerTimeout");
        positive(bodyTimeout, "bodyTimeout");
        if (minRequestDataRate < 0) {
            throw new IllegalArgumentException("minRequestDataRate must be >= 0, got " + minRequestDataRate);
        }
        if (maxConnectionsPerAddress < 0) {
            throw new IllegalArgumentException("maxConnectionsPerAddress must be >= 0, got " + maxConnectionsPerAddress);
        }
        if (maxConnections < 1) {
            throw new IllegalArgumentException("maxConnections must be >= 1, got " + maxConnections);
        }
    }

    /** The defaults described on the components. */
    public static SlowClientLimits defaults() {
        return new SlowClientLimits(DEFAULT_HEADER_TIMEOUT, DEFAULT_BODY_TIMEOUT, DEFAULT_MIN_REQUEST_DATA_RATE,
                DEFAULT_MAX_CONNECTIONS_PER_ADDRESS, DEFAULT_MAX_CONNECTIONS);
    }

    private static void positive(Duration d, String name) {
        Objects.requireNonNull(d, name);
        if (d.isNegative() || d.isZero()) {
            throw new IllegalArgumentException(name + " must be positive, got " + d);
        }
    }
}
