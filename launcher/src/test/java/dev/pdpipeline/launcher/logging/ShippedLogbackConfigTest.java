package dev.pdpipeline.launcher.logging;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.joran.JoranConfigurator;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.MDC;

/**
 * The logback.xml the launcher ships (not the tests' own): INFO goes through the queue without
 * ever being dropped, WARN and ERROR are on the console before the call returns, a JVM shutdown
 * switches every line to direct writes, and LOG_FORMAT / LOG_LEVEL still choose format and level.
 */
class ShippedLogbackConfigTest {

    private final ByteArrayOutputStream console = new ByteArrayOutputStream();
    private final PrintStream realErr = System.err;
    private LoggerContext context;

    @AfterEach
    void restore() {
        if (context != null) {
            context.stop();
        }
        System.setErr(realErr);
        MDC.clear();
    }

    @Test
    void warnAndErrorAreOnTheConsoleBeforeTheCallReturns() throws Exception {
        Logger log = configure(Map.of()).getLogger("dev.pdpipeline.test");

        log.warn("about to fail: {}", "part x");
        assertThat(written()).contains("WARN").contains("about to fail: part x");
        log.error("halting now");
        assertThat(written()).contains("ERROR").contains("halting now");
    }

    @Test
    void noInfoLineIsDroppedWhenTheQueueIsFull() throws Exception {
        LoggerContext ctx = configure(Map.of());
        Logger log = ctx.getLogger("dev.pdpipeline.test");
        int threads = 4;
        int perThread = 6_000; // 24,000 lines against a queue of 8,192
        List<Thread> writers = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            int id = t;
            writers.add(new Thread(() -> {
                for (int i = 0; i < perThread; i++) {
                    log.info("Accepted webhook wh-{}-{}", id, i);
                }
            }));
        }
        writers.forEach(Thread::start);
        for (Thread writer : writers) {
            writer.join();
        }
        ctx.stop(); // writes what is queued

        long lines = written().lines().filter(l -> l.contains("Accepted webhook wh-")).count();
        assertThat(lines).isEqualTo((long) threads * perThread);
    }

    @Test
    void onceTheJvmShutsDownEveryLineIsWrittenAtOnce() throws Exception {
        LoggerContext ctx = configure(Map.of());
        AsyncLogAppender text = (AsyncLogAppender) ctx.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME)
                .getAppender("async-text");
        assertThat(text).isNotNull();
        assertThat(text.isDirect()).isFalse();

        text.drainAndGoDirect(); // what the shutdown hook does
        ctx.getLogger("dev.pdpipeline.test").info("Stopping ingress");

        assertThat(text.isDirect()).isTrue();
        assertThat(written()).contains("INFO").contains("Stopping ingress");
    }

    @Test
    void jsonFormatCarriesTheLogContextFieldsOnOneLine() throws Exception {
        LoggerContext ctx = configure(Map.of("LOG_FORMAT", "json"));
        MDC.put("event_id", "01EVENT");
        MDC.put("offset", "41");
        ctx.getLogger("dev.pdpipeline.test").info("Accepted webhook {}", "wh-1");
        MDC.clear();
        ctx.stop();

        List<String> lines = written().lines().filter(l -> !l.isBlank()).toList();
        assertThat(lines).hasSize(1);
        JsonNode line = new ObjectMapper().readTree(lines.get(0));
        assertThat(line.get("message").asText()).isEqualTo("Accepted webhook wh-1");
        assertThat(line.get("level").asText()).isEqualTo("INFO");
        assertThat(line.get("event_id").asText()).isEqualTo("01EVENT");
        assertThat(line.get("offset").asText()).isEqualTo("41");
    }

    @Test
    void logLevelWarnLeavesOutInfo() throws Exception {
        LoggerContext ctx = configure(Map.of("LOG_LEVEL", "WARN"));
        ctx.getLogger("dev.pdpipeline.test").info("Accepted webhook wh-2");
        ctx.getLogger("dev.pdpipeline.test").warn("Rejected webhook wh-3");
        ctx.stop();

        assertThat(written()).doesNotContain("wh-2").contains("Rejected webhook wh-3");
    }

    private LoggerContext configure(Map<String, String> properties) throws Exception {
        System.setErr(new PrintStream(console, true, StandardCharsets.UTF_8));
        URL shipped = getClass().getResource("/logback.xml");
        assertThat(shipped).as("the launcher's logback.xml").isNotNull();
        context = new LoggerContext();
        context.setName("shipped-config-test");
        context.setMDCAdapter(MDC.getMDCAdapter()); // the one MDC.put writes to, as in the real context
        properties.forEach(context::putProperty);
        JoranConfigurator configurator = new JoranConfigurator();
        configurator.setContext(context);
        configurator.doConfigure(shipped);
        return context;
    }

    private String written() {
        synchronized (console) {
            return console.toString(StandardCharsets.UTF_8);
        }
    }
}
