package dev.pdpipeline.bench.load;

import static org.assertj.core.api.Assertions.assertThat;

import io.javalin.Javalin;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The load client says why requests failed, not only how many did. */
class PooledHttpClientTest {

    private static final HttpTarget.Request REQUEST =
            new HttpTarget.Request("{}".getBytes(StandardCharsets.UTF_8), null, "W1");

    @Test
    void countsAnswersWithAnotherStatusByThatStatusAndStartsAgainAfterTakingThem() throws Exception {
        Javalin noop = NoopServer.start(1024, 0); // answers 202
        try (PooledHttpClient client = new PooledHttpClient("127.0.0.1", noop.port(), NoopServer.WEBHOOK_PATH, 2,
                200, i -> REQUEST)) {
            for (int i = 0; i < 3; i++) {
                assertThat(client.send(i).get(10, TimeUnit.SECONDS)).isFalse();
            }

            assertThat(client.takeFailures()).isEqualTo(Map.of("202", 3L));
            assertThat(client.takeFailures()).isEmpty();
            assertThat(client.send(3).get(10, TimeUnit.SECONDS)).isFalse();
            assertThat(client.takeFailures()).isEqualTo(Map.of("202", 1L));
        } finally {
            noop.stop();
        }
    }

    @Test
    void countsAConnectionThatCannotBeMadeAsIo() throws Exception {
        int closedPort;
        try (ServerSocket socket = new ServerSocket(0)) {
            closedPort = socket.getLocalPort();
        }
        try (PooledHttpClient client = new PooledHttpClient("127.0.0.1", closedPort, NoopServer.WEBHOOK_PATH, 1,
                202, i -> REQUEST)) {
            assertThat(client.send(0).get(10, TimeUnit.SECONDS)).isFalse();

            assertThat(client.takeFailures()).isEqualTo(Map.of(PooledHttpClient.IO, 1L));
        }
    }

    @Test
    void expectedAnswersAreNotFailures() throws Exception {
        Javalin noop = NoopServer.start(1024, 0);
        try (PooledHttpClient client = new PooledHttpClient("127.0.0.1", noop.port(), NoopServer.WEBHOOK_PATH, 1,
                202, i -> REQUEST)) {
            assertThat(client.send(0).get(10, TimeUnit.SECONDS)).isTrue();

            assertThat(client.takeFailures()).isEmpty();
        } finally {
            noop.stop();
        }
    }
}
