package dev.pdpipeline.ingress.http;

import static dev.pdpipeline.ingress.testing.Webhooks.fixture;
import static dev.pdpipeline.ingress.testing.Webhooks.sign;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.pdpipeline.ingress.metrics.IngressMetrics;
import dev.pdpipeline.ingress.signature.WebhookSecret;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The optional defences, switched on: address allowlist, required header, TLS and mutual TLS. */
class WebhookServerDefencesTest {

    private static final String SECRET = "defences-secret";
    private static final String STORE_PASSWORD = "store-pass-123";

    @TempDir
    Path dir;

    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private final IngressMetrics metrics = new IngressMetrics(registry);
    private final WebhookServerTest.FakePublisher publisher = new WebhookServerTest.FakePublisher();
    private WebhookServer server;

    @AfterEach
    void stop() {
        if (server != null) {
            server.close();
        }
    }

    @Test
    void refusesAddressesOutsideTheAllowlistWith403BeforeReadingTheBody() throws Exception {
        start(new AccessGuard(List.of(Cidr.parse("192.0.2.0/24")), false, List.of(), null, null, metrics), null);

        HttpResponse<String> response = send(plain(), signed().build());

        assertThat(response.statusCode()).isEqualTo(403);
        assertThat(response.body()).isEqualTo("{\"error\":\"forbidden\"}");
        assertThat(publisher.received).isEmpty();
        assertThat(denied("address")).isEqualTo(1.0);
    }

    @Test
    void acceptsAddressesInTheAllowlist() throws Exception {
        start(new AccessGuard(List.of(Cidr.parse("127.0.0.0/8"), Cidr.parse("::1/128")), false, List.of(), null, null,
                metrics), null);

        assertThat(send(plain(), signed().build()).statusCode()).isEqualTo(202);
    }

    @Test
    void believesForwardedForOnlyFromTrustedProxies() throws Exception {
        // the test client (127.0.0.1) plays the reverse proxy
        start(new AccessGuard(List.of(Cidr.parse("203.0.113.0/24")), true, List.of(Cidr.parse("127.0.0.0/8")), null,
                null, metrics), null);

        assertThat(send(plain(), signed().header("X-Forwarded-For", "198.51.100.1, 203.0.113.9").build())
                .statusCode()).isEqualTo(202);
        // the right-most untrusted entry is outside the list, whatever the client put on the left
        assertThat(send(plain(), signed().header("X-Forwarded-For", "203.0.113.9, 198.51.100.1").build())
                .statusCode()).isEqualTo(403);
        assertThat(send(plain(), signed().build()).statusCode()).isEqualTo(403);
    }

    @Test
    void requiresTheCustomHeaderWithItsExactValue() throws Exception {
        start(new AccessGuard(List.of(), false, List.of(), "X-Shared-Token", "tok-value-42", metrics), null);

        assertThat(send(plain(), signed().build()).statusCode()).isEqualTo(403);
        assertThat(send(plain(), signed().header("X-Shared-Token", "tok-value-4").build()).statusCode()).isEqualTo(403);
        assertThat(send(plain(), signed().header("X-Shared-Token", "tok-value-420").build()).statusCode())
                .isEqualTo(403);
        HttpResponse<String> ok = send(plain(), signed().header("X-Shared-Token", "tok-value-42").build());
        assertThat(ok.statusCode()).isEqualTo(202);
        assertThat(denied("header")).isEqualTo(3.0);
        assertThat(publisher.received).hasSize(1);
    }

    @Test
    void theSignatureStillDecidesBehindTheDefences() throws Exception {
        start(new AccessGuard(List.of(Cidr.parse("127.0.0.0/8")), false, List.of(), "X-Shared-Token", "v", metrics),
                null);

        HttpResponse<String> response = send(plain(), request().header("X-Shared-Token", "v")
                .header("X-PagerDuty-Signature", sign("other", body()))
                .POST(HttpRequest.BodyPublishers.ofByteArray(body())).build());

        assertThat(response.statusCode()).isEqualTo(401);
        assertThat(publisher.received).isEmpty();
    }

    @Test
    void servesHttpsWithTheConfiguredKeystore() throws Exception {
        Path server = keypair("server");
        start(null, new WebhookServer.Tls(server, STORE_PASSWORD, "PKCS12", null, null, WebhookServer.ClientAuth.NONE));

        HttpResponse<String> response = send(tlsClient(trusting("server"), null), signed().build());

        assertThat(response.statusCode()).isEqualTo(202);
        assertThat(response.uri().getScheme()).isEqualTo("https");
    }

    @Test
    void requiresATrustedClientCertificateWhenClientAuthIsNeed() throws Exception {
        Path serverStore = keypair("server");
        Path clientStore = keypair("client");
        Path strangerStore = keypair("stranger");
        Path trust = trusting("client");
        start(null, new WebhookServer.Tls(serverStore, STORE_PASSWORD, "PKCS12", trust, STORE_PASSWORD,
                WebhookServer.ClientAuth.NEED));
        Path trustServer = trusting("server");

        assertThat(send(tlsClient(trustServer, clientStore), signed().build()).statusCode()).isEqualTo(202);
        assertThatThrownBy(() -> send(tlsClient(trustServer, null), signed().build())).isInstanceOf(IOException.class);
        assertThatThrownBy(() -> send(tlsClient(trustServer, strangerStore), signed().build()))
                .isInstanceOf(IOException.class);
        assertThat(publisher.received).hasSize(1);
    }

    @Test
    void refusesClientAuthWithoutATruststore() {
        assertThatThrownBy(() -> new WebhookServer.Tls(dir.resolve("k.p12"), "p", "PKCS12", null, null,
                WebhookServer.ClientAuth.WANT)).isInstanceOf(IllegalArgumentException.class);
        assertThat(new WebhookServer.Tls(dir.resolve("k.p12"), "pw-hidden", "PKCS12", null, null,
                WebhookServer.ClientAuth.NONE).toString()).doesNotContain("pw-hidden");
    }

    private void start(AccessGuard guard, WebhookServer.Tls tls) {
        WebhookEndpoint endpoint = new WebhookEndpoint(() -> List.of(new WebhookSecret(SECRET, "fp")), publisher,
                () -> true, metrics, 65_536, Duration.ofSeconds(2), Clock.systemUTC());
        server = WebhookServer.start("127.0.0.1", 0, endpoint, metrics, 65_536, Duration.ofSeconds(1),
                new WebhookServer.Options(WebhookServer.DEFAULT_IDLE_TIMEOUT, tls, guard));
        this.tls = tls != null;
    }

    private boolean tls;

    private double denied(String reason) {
        return registry.get(IngressMetrics.ACCESS_DENIED).tag("reason", reason).counter().count();
    }

    private HttpRequest.Builder request() {
        return HttpRequest.newBuilder(URI.create((tls ? "https" : "http") + "://127.0.0.1:" + server.port()
                + WebhookEndpoint.PATH)).timeout(Duration.ofSeconds(10)).header("Content-Type", "application/json");
    }

    private HttpRequest.Builder signed() {
        return request().header("X-PagerDuty-Signature", sign(SECRET, body()))
                .POST(HttpRequest.BodyPublishers.ofByteArray(body()));
    }

    private static byte[] body() {
        return fixture("incident.triggered.json");
    }

    private static HttpClient plain() {
        return HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    }

    private static HttpResponse<String> send(HttpClient client, HttpRequest request)
            throws IOException, InterruptedException {
        return client.send(request, HttpResponse.BodyHandlers.ofString());
    }

    private static HttpClient tlsClient(Path truststore, Path keystore) throws Exception {
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(load(truststore));
        KeyManagerFactory kmf = null;
        if (keystore != null) {
            kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            kmf.init(load(keystore), STORE_PASSWORD.toCharArray());
        }
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(kmf == null ? null : kmf.getKeyManagers(), tmf.getTrustManagers(), null);
        return HttpClient.newBuilder().sslContext(context).connectTimeout(Duration.ofSeconds(5)).build();
    }

    private static KeyStore load(Path path) throws Exception {
        KeyStore store = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(path)) {
            store.load(in, STORE_PASSWORD.toCharArray());
        }
        return store;
    }

    /** A self-signed EC key pair for CN=name (SAN 127.0.0.1, localhost) in name.p12, and its certificate name.crt. */
    private Path keypair(String name) throws Exception {
        Path store = dir.resolve(name + ".p12");
        keytool("-genkeypair", "-alias", name, "-keyalg", "EC", "-groupname", "secp256r1", "-dname", "CN=" + name,
                "-ext", "SAN=ip:127.0.0.1,dns:localhost", "-validity", "2", "-storetype", "PKCS12",
                "-keystore", store.toString(), "-storepass", STORE_PASSWORD, "-keypass", STORE_PASSWORD);
        keytool("-exportcert", "-alias", name, "-keystore", store.toString(), "-storepass", STORE_PASSWORD,
                "-file", dir.resolve(name + ".crt").toString());
        return store;
    }

    /** A truststore holding the certificate of {@code name} (made by {@link #keypair}). */
    private Path trusting(String name) throws Exception {
        Path store = dir.resolve("trust-" + name + ".p12");
        if (!Files.exists(store)) {
            keytool("-importcert", "-noprompt", "-alias", name, "-file", dir.resolve(name + ".crt").toString(),
                    "-storetype", "PKCS12", "-keystore", store.toString(), "-storepass", STORE_PASSWORD);
        }
        return store;
    }

    private static void keytool(String... args) throws Exception {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "keytool").toString());
        command.addAll(List.of(args));
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes());
        assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(process.exitValue()).as("keytool %s: %s", args[0], output).isZero();
    }
}
