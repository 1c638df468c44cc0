package dev.pdpipeline.ingress.http;

import dev.pdpipeline.ingress.metrics.IngressMetrics;
import io.javalin.http.Context;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Optional defences in front of the signature check, all off unless configured: a client address
 * allowlist and a required shared header. A request they refuse gets 403 before its body is read.
 * They add to the signature check and never replace it.
 *
 * <p>The client address is the TCP peer. Only when forwarded-for is trusted and the peer is one
 * of the trusted proxies is {@code X-Forwarded-For} consulted: walking it from the right, each
 * entry that is itself a trusted proxy is skipped and the first other entry is the client. A
 * direct client cannot spoof its address, since its own header is ignored.
 */
public final class AccessGuard {

    /** Reason tags of {@link IngressMetrics#accessDenied}. */
    public static final String REASON_ADDRESS = "address";
    public static final String REASON_HEADER = "header";

    static final String FORWARDED_FOR = "X-Forwarded-For";

    private static final Logger LOG = LoggerFactory.getLogger(AccessGuard.class);

    private final List<Cidr> allowed;
    private final boolean trustForwardedFor;
    private final List<Cidr> trustedProxies;
    private final String headerName;
    private final byte[] headerValue;
    private final IngressMetrics metrics;

    /**
     * @param allowed           client blocks allowed; empty = any client
     * @param trustForwardedFor whether {@code X-Forwarded-For} is consulted (from trusted proxies only)
     * @param trustedProxies    the proxies whose {@code X-Forwarded-For} is believed
     * @param headerName        a header every request must carry, or null for none
     * @param headerValue       its exact value (compared in constant time), null when no header
     * @param metrics           counts refusals by reason
     */
    public AccessGuard(List<Cidr> allowed, boolean trustForwardedFor, List<Cidr> trustedProxies, String headerName,
            String headerValue, IngressMetrics metrics) {
        this.allowed = List.copyOf(Objects.requireNonNull(allowed, "allowed"));
        this.trustForwardedFor = trustForwardedFor;
        this.trustedProxies = List.copyOf(Objects.requireNonNull(trustedProxies, "trustedProxies"));
        this.metrics = Objects.requireNonNull(metrics, "metrics");
        if ((headerName == null) != (headerValue == null)) {
            throw new IllegalArgumentException("the required header needs both a name and a value");
        }
        if (trustForwardedFor && this.trustedProxies.isEmpty()) {
            throw new IllegalArgumentException("trusting X-Forwarded-For needs at least one trusted proxy");
        }
        this.headerName = headerName;
        this.headerValue = headerValue == null ? null : headerValue.getBytes(StandardCharsets.UTF_8);
    }

    /** A guard that lets everything through. */
    public static AccessGuard open(IngressMetrics metrics) {
        return new AccessGuard(List.of(), false, List.of(), null, null, metrics);
    }

    /** Whether any defence is configured. */
    public boolean isActive() {
        return !allowed.isEmpty() || headerName != null;
    }

    /** Javalin before-handler (every path but the webhook's): throws a 403 {@link HttpProblem} for a refused request. */
    public void check(Context ctx) {
        check(ctx.req().getMethod(), ctx.path(), ctx.req().getRemoteAddr(),
                Collections.list(ctx.req().getHeaders(FORWARDED_FOR)), ctx::header);
    }

    /** The webhook route's check (a Jetty handler, see {@link WebhookRoute}): throws a 403 {@link HttpProblem}. */
    void check(org.eclipse.jetty.server.Request request) {
        check(request.getMethod(), org.eclipse.jetty.server.Request.getPathInContext(request),
                org.eclipse.jetty.server.Request.getRemoteAddr(request),
                request.getHeaders().getValuesList(FORWARDED_FOR), request.getHeaders()::get);
    }

    private void check(String method, String path, String peer, List<String> forwardedFor,
            java.util.function.UnaryOperator<String> header) {
        if (!allowed.isEmpty()) {
            Optional<InetAddress> client = clientAddress(peer, forwardedFor);
            if (client.isEmpty() || allowed.stream().noneMatch(c -> c.contains(client.get()))) {
                metrics.accessDenied(REASON_ADDRESS);
                LOG.warn("Refused {} {} from {} (client address {}): not in the allowlist", method, path, peer,
                        client.map(InetAddress::getHostAddress).orElse("unparseable"));
                throw HttpProblem.forbidden();
            }
        }
        if (headerName != null) {
            String value = header.apply(headerName);
            byte[] given = value == null ? new byte[0] : value.getBytes(StandardCharsets.UTF_8);
            // isEqual is constant-time for equal lengths; the length of the expected value is not a secret worth much
            if (value == null || !MessageDigest.isEqual(given, headerValue)) {
                metrics.accessDenied(REASON_HEADER);
                LOG.warn("Refused {} {} from {}: required header {} {}", method, path, peer, headerName,
                        value == null ? "missing" : "wrong (value not shown)");
                throw HttpProblem.forbidden();
            }
        }
    }

    /**
     * The client address of a request: the peer, or (when trusted) the right-most
     * {@code X-Forwarded-For} entry that is not a trusted proxy. Empty when that entry is not an IP
     * literal.
     */
    Optional<InetAddress> clientAddress(String peer, List<String> forwardedFor) {
        Optional<InetAddress> peerAddress = Cidr.literal(peer);
        if (!trustForwardedFor || peerAddress.isEmpty() || !isTrustedProxy(peerAddress.get())) {
            return peerAddress;
        }
        List<String> hops = new ArrayList<>();
        for (String header : forwardedFor) {
            for (String entry : header.split(",")) {
                if (!entry.isBlank()) {
                    hops.add(entry.strip());
                }
            }
        }
        Collections.reverse(hops);
        InetAddress client = peerAddress.get();
        for (String hop : hops) {
            Optional<InetAddress> address = Cidr.literal(hop);
            if (address.isEmpty()) {
                return Optional.empty();
            }
            client = address.get();
            if (!isTrustedProxy(client)) {
                return Optional.of(client);
            }
        }
        return Optional.of(client);
    }

    private boolean isTrustedProxy(InetAddress address) {
        return trustedProxies.stream().anyMatch(c -> c.contains(address));
    }

    @Override
    public String toString() {
        return "AccessGuard[allowed=" + allowed + ", trustForwardedFor=" + trustForwardedFor + ", trustedProxies="
                + trustedProxies + ", requiredHeader=" + (headerName == null ? "none" : headerName + " (value hidden)")
                + "]";
    }
}
