package dev.pdpipeline.ingress.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.pdpipeline.ingress.metrics.IngressMetrics;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.net.InetAddress;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class AccessGuardTest {

    private final IngressMetrics metrics = new IngressMetrics(new SimpleMeterRegistry());

    @Test
    void cidrBlocksContainTheirAddressesOnly() throws Exception {
        Cidr v4 = Cidr.parse("10.1.0.0/16");
        assertThat(v4.contains(InetAddress.getByName("10.1.255.7"))).isTrue();
        assertThat(v4.contains(InetAddress.getByName("10.2.0.1"))).isFalse();
        assertThat(v4.contains(InetAddress.getByName("::1"))).isFalse();
        Cidr v6 = Cidr.parse("2001:db8::/32");
        assertThat(v6.contains(InetAddress.getByName("2001:db8:ffff::1"))).isTrue();
        assertThat(v6.contains(InetAddress.getByName("2001:db9::1"))).isFalse();
        assertThat(Cidr.parse("192.0.2.5").contains(InetAddress.getByName("192.0.2.5"))).isTrue();
        assertThat(Cidr.parse("192.0.2.5").contains(InetAddress.getByName("192.0.2.6"))).isFalse();
        assertThat(Cidr.parse("0.0.0.0/0").contains(InetAddress.getByName("203.0.113.9"))).isTrue();
        // IPv4-mapped IPv6 is the IPv4 address
        assertThat(Cidr.parse("127.0.0.0/8").contains(InetAddress.getByName("::ffff:127.0.0.1"))).isTrue();
        assertThat(Cidr.parseList(" 10.0.0.0/8, ,::1 ")).hasSize(2);
    }

    @Test
    void rejectsMalformedBlocksNamingThem() {
        for (String bad : List.of("10.0.0.0/33", "::/129", "example.com", "10.0.0", "10.0.0.0/x", "", "1.2.3.4/-1",
                "localhost")) {
            assertThatThrownBy(() -> Cidr.parse(bad)).as(bad).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining(bad.strip());
        }
    }

    @Test
    void literalNeverResolvesNames() {
        assertThat(Cidr.literal("localhost")).isEmpty();
        assertThat(Cidr.literal("pagerduty.com")).isEmpty();
        assertThat(Cidr.literal("[::1]")).isPresent();
        assertThat(Cidr.literal("fe80::1%eth0")).isPresent();
        assertThat(Cidr.literal("unknown")).isEmpty();
    }

    @Test
    void usesThePeerWhenForwardedForIsNotTrusted() throws Exception {
        AccessGuard guard = new AccessGuard(List.of(Cidr.parse("10.0.0.0/8")), false, List.of(), null, null, metrics);

        assertThat(guard.clientAddress("192.0.2.1", List.of("10.0.0.1"))).contains(InetAddress.getByName("192.0.2.1"));
    }

    @Test
    void ignoresForwardedForFromAPeerThatIsNotATrustedProxy() throws Exception {
        AccessGuard guard = guard(List.of("10.0.0.0/8"));

        // a direct client claiming to be an allowed address is still itself
        assertThat(guard.clientAddress("198.51.100.7", List.of("10.9.9.9")))
                .contains(InetAddress.getByName("198.51.100.7"));
    }

    @Test
    void takesTheRightMostEntryThatIsNotATrustedProxy() throws Exception {
        AccessGuard guard = guard(List.of("10.0.0.0/8"));

        // client-supplied entries left of the real client are ignored
        assertThat(guard.clientAddress("10.0.0.2", List.of("1.1.1.1, 203.0.113.5, 10.0.0.3")))
                .contains(InetAddress.getByName("203.0.113.5"));
        assertThat(guard.clientAddress("10.0.0.2", List.of("1.1.1.1", "203.0.113.5")))
                .contains(InetAddress.getByName("203.0.113.5"));
        // only proxies: the left-most is the client
        assertThat(guard.clientAddress("10.0.0.2", List.of("10.0.0.4, 10.0.0.3")))
                .contains(InetAddress.getByName("10.0.0.4"));
        // no header: the proxy itself
        assertThat(guard.clientAddress("10.0.0.2", List.of())).contains(InetAddress.getByName("10.0.0.2"));
    }

    @Test
    void anUnparseableForwardedEntryGivesNoAddress() {
        AccessGuard guard = guard(List.of("10.0.0.0/8"));

        assertThat(guard.clientAddress("10.0.0.2", List.of("203.0.113.5, evil.example"))).isEqualTo(Optional.empty());
        assertThat(guard.clientAddress("10.0.0.2", List.of("unknown"))).isEmpty();
    }

    @Test
    void refusesIncompleteSettings() {
        assertThatThrownBy(() -> new AccessGuard(List.of(), false, List.of(), "X-Token", null, metrics))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new AccessGuard(List.of(), true, List.of(), null, null, metrics))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void describesItselfWithoutTheHeaderValue() {
        AccessGuard guard = new AccessGuard(List.of(), false, List.of(), "X-Token", "hunter2-value", metrics);

        assertThat(guard.toString()).contains("X-Token").doesNotContain("hunter2-value");
        assertThat(guard.isActive()).isTrue();
        assertThat(AccessGuard.open(metrics).isActive()).isFalse();
    }

    private AccessGuard guard(List<String> proxies) {
        return new AccessGuard(List.of(Cidr.parse("203.0.113.0/24")), true,
                proxies.stream().map(Cidr::parse).toList(), null, null, metrics);
    }
}
