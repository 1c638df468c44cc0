package dev.pdpipeline.bench.load;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class WrkTest {

    @TempDir
    Path dir;

    @Test
    void readsTheScriptsResultLinesBesideWrksOwnOutput() {
        String output = """
                Running 15s test @ http://127.0.0.1:4242/webhooks/pagerduty
                  2 threads and 64 connections
                  Thread Stats   Avg      Stdev     Max   +/- Stdev
                    Latency     5.01ms    2.00ms  40.00ms   90.00%
                  60000 requests in 15.00s, 9.00MB read
                  Non-2xx or 3xx responses: 12
                WRK_RESULT requests=60000 duration_us=15000000 bytes=9000000 connect=0 read=1 write=0 status=12 timeout=2
                WRK_LATENCY_US p50=4500 p90=7000 p99=12345 p999=30000 max=40000 mean=5010.5
                """;

        Wrk.Result r = Wrk.parse(64, output);

        assertThat(r.connections()).isEqualTo(64);
        assertThat(r.requests()).isEqualTo(60000);
        assertThat(r.seconds()).isEqualTo(15.0);
        assertThat(r.non2xx()).isEqualTo(12);
        assertThat(r.socketErrors()).isEqualTo(3);
        assertThat(r.requestsPerSecond()).isEqualTo(4000.0);
        assertThat(r.okPerSecond()).isEqualTo((60000 - 12) / 15.0);
        assertThat(r.p50Ms()).isEqualTo(4.5);
        assertThat(r.p99Ms()).isEqualTo(12.35);
        assertThat(r.maxMs()).isEqualTo(40.0);
    }

    @Test
    void saysWhatIsMissingWhenTheScriptPrintedNothing() {
        assertThatThrownBy(() -> Wrk.parse(16, "Running 1s test @ http://x\n"))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("WRK_RESULT");
    }

    @Test
    void namesThePackageWhenWrkIsNotWhereItWasSaidToBe() {
        assertThatThrownBy(() -> Wrk.find(dir.resolve("no-wrk-here").toString()))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("--wrk");
    }

    @Test
    void theScriptIsTheModulesOwnResource() throws Exception {
        Path script = Wrk.writeScript(dir);

        String lua = Files.readString(script, StandardCharsets.UTF_8);
        assertThat(lua).contains("function request()", "function done(", "WRK_RESULT", "X-PagerDuty-Signature");
    }

    @Test
    void deliveriesRoundTripThroughTheFileTheGeneratorsRead() {
        List<Deliveries.Delivery> written = Deliveries.signed(new Payloads(7, 1024, 2048), 5, "s3cret");
        Path file = Deliveries.write(dir.resolve("d.tsv"), written);

        List<Deliveries.Delivery> read = Deliveries.read(file);

        assertThat(read).hasSize(5);
        for (int i = 0; i < 5; i++) {
            assertThat(read.get(i).body()).isEqualTo(written.get(i).body());
            assertThat(read.get(i).signature()).isEqualTo(Payloads.sign(written.get(i).body(), "s3cret"));
            assertThat(read.get(i).webhookId()).isEqualTo(written.get(i).webhookId());
            assertThat(read.get(i).key()).isEqualTo(written.get(i).key());
        }
    }
}
