package dev.pdpipeline.launcher.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.pdpipeline.common.health.Health;
import dev.pdpipeline.common.management.ManagementServer;
import dev.pdpipeline.common.management.MeterRegistries;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class LifecycleTest {

    @Test
    void exitsWithStatusOneWhenAPartFailsAndServes503UntilTheServicesAreClosed() throws Exception {
        Health health = new Health();
        Health.Part part = health.register("kafka-streams");
        ManagementServer management = ManagementServer.start("127.0.0.1", 0, MeterRegistries.prometheus(), health);
        HttpClient http = HttpClient.newHttpClient();
        List<Integer> liveWhileClosing = new CopyOnWriteArrayList<>();
        AutoCloseable service = () -> liveWhileClosing.add(http.send(HttpRequest.newBuilder(
                        URI.create("http://127.0.0.1:" + management.port() + "/health/live")).build(),
                HttpResponse.BodyHandlers.discarding()).statusCode());

        CompletableFuture<Integer> exit = CompletableFuture.supplyAsync(() -> {
            try {
                // management listed first, as serve() does: after a failure it still closes last
                return Lifecycle.awaitShutdown(List.of(management, service), health);
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
        });
        long start = System.nanoTime();
        part.failed("Kafka Streams is in state ERROR");

        assertThat(exit.get(30, TimeUnit.SECONDS)).isEqualTo(Lifecycle.EXIT_PART_FAILED);
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Lifecycle.FAILURE_CLOSE_BUDGET)
                .isGreaterThanOrEqualTo(Lifecycle.FAILURE_LINGER);
        assertThat(liveWhileClosing).as("/health/live while the service closed").containsExactly(503);
        assertThat(management.port()).isPositive();
    }

    @Test
    void aDegradedPartNeverEndsTheProcessAFailedOneDoes() throws Exception {
        Health health = new Health();
        health.register("kafka-streams").degraded("rebalancing");
        CompletableFuture<Integer> exit = CompletableFuture.supplyAsync(() -> {
            try {
                return Lifecycle.awaitShutdown(List.of(), health);
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
        });
        assertThat(health.isLive()).isTrue();
        assertThat(exit).isNotDone();
        health.register("other").failed("now for good");
        assertThat(exit.get(30, TimeUnit.SECONDS)).isEqualTo(1);
    }
}
