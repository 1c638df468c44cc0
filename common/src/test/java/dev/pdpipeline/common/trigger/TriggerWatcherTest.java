package dev.pdpipeline.common.trigger;

import static dev.pdpipeline.common.trigger.TriggerFixtures.ENV;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TriggerWatcherTest {

    private static final Duration POLL = Duration.ofMillis(50);

    @TempDir
    Path dir;

    private final List<TriggerSet> changes = new CopyOnWriteArrayList<>();
    private final List<TriggerConfigException> errors = new CopyOnWriteArrayList<>();
    private TriggerWatcher watcher;

    @AfterEach
    void stop() {
        if (watcher != null) {
            watcher.close();
        }
    }

    private TriggerWatcher watcher() {
        watcher = new TriggerWatcher(dir, new TriggerLoader(ENV), POLL, changes::add, errors::add);
        return watcher;
    }

    private static String trigger(String name, String agent) {
        return """
                apiVersion: aof.sh/v1
                kind: Trigger
                metadata:
                  name: %s
                spec:
                  platform:
                    type: pagerduty
                    config:
                      webhook_secret: ${TEST_WEBHOOK_SECRET}
                  agent: %s
                """.formatted(name, agent);
    }

    @Test
    void loadsSynchronouslyOnStart() throws IOException {
        Files.writeString(dir.resolve("a.yaml"), trigger("alpha", "agent-one"));

        TriggerSet initial = watcher().start();

        assertThat(initial.triggers()).extracting(Trigger::name).containsExactly("alpha");
        assertThat(watcher.current()).isSameAs(initial);
        assertThat(changes).as("the initial load is not a change").isEmpty();
        assertThat(Thread.getAllStackTraces().keySet())
                .anySatisfy(t -> {
                    assertThat(t.getName()).isEqualTo(TriggerWatcher.THREAD_NAME);
                    assertThat(t.isDaemon()).isTrue();
                });
    }

    @Test
    void failsTheStartWhenTheFilesAreInvalid() throws IOException {
        Files.writeString(dir.resolve("a.yaml"), trigger("alpha", "not a legal agent"));
        assertThatThrownBy(() -> watcher().start())
                .isInstanceOf(TriggerConfigException.class)
                .hasMessageContaining("spec.agent");
    }

    @Test
    void picksUpAChangedFileAndANewFile() throws IOException {
        Path a = Files.writeString(dir.resolve("a.yaml"), trigger("alpha", "agent-one"));
        watcher().start();

        Files.writeString(a, trigger("alpha", "agent-two"));
        await().atMost(Duration.ofSeconds(20)).until(() -> changes.size() == 1);
        assertThat(watcher.current().byName("alpha").orElseThrow().agent()).isEqualTo("agent-two");
        assertThat(changes.get(0)).isSameAs(watcher.current());

        Files.writeString(dir.resolve("b.yaml"), trigger("beta", "agent-three"));
        await().atMost(Duration.ofSeconds(20)).until(() -> changes.size() == 2);
        assertThat(watcher.current().triggers()).extracting(Trigger::name).containsExactly("alpha", "beta");
        assertThat(errors).isEmpty();
    }

    @Test
    void keepsTheLastGoodSetWhenAChangeIsInvalidAndRecoversWhenFixed() throws IOException {
        Path a = Files.writeString(dir.resolve("a.yaml"), trigger("alpha", "agent-one"));
        TriggerSet good = watcher().start();

        Files.writeString(a, trigger("alpha", "agent-one").replace("webhook_secret", "webhook_secrt"));
        await().atMost(Duration.ofSeconds(20)).until(() -> errors.size() == 1);
        assertThat(errors.get(0).field()).isEqualTo("spec.platform.config.webhook_secrt");
        assertThat(watcher.current()).isSameAs(good);
        // the same broken content is reported once, not at every poll
        await().during(Duration.ofMillis(300)).atMost(Duration.ofSeconds(2)).until(() -> errors.size() == 1);
        assertThat(changes).isEmpty();

        Files.writeString(a, trigger("alpha", "agent-fixed"));
        await().atMost(Duration.ofSeconds(20)).until(() -> changes.size() == 1);
        assertThat(watcher.current().byName("alpha").orElseThrow().agent()).isEqualTo("agent-fixed");
    }

    @Test
    void reportsADeletedDirectoryAndKeepsTheLastGoodSet() throws IOException {
        Path sub = Files.createDirectory(dir.resolve("sub"));
        Path a = Files.writeString(sub.resolve("a.yaml"), trigger("alpha", "agent-one"));
        watcher = new TriggerWatcher(sub, new TriggerLoader(ENV), POLL, changes::add, errors::add);
        TriggerSet good = watcher.start();

        Files.delete(a);
        Files.delete(sub);

        await().atMost(Duration.ofSeconds(20)).until(() -> errors.size() == 1);
        assertThat(errors.get(0).getMessage()).isEqualTo(sub + ": no such file or directory");
        assertThat(watcher.current()).isSameAs(good);
    }

    @Test
    void logsEverySkippedDocumentAtStartAndAtEachReload() throws IOException {
        ch.qos.logback.classic.Logger log = (ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory
                .getLogger(TriggerWatcher.class);
        ch.qos.logback.core.read.ListAppender<ch.qos.logback.classic.spi.ILoggingEvent> appender =
                new ch.qos.logback.core.read.ListAppender<>();
        appender.start();
        log.addAppender(appender);
        try {
            String slack = "---\napiVersion: aof.dev/v1\nkind: Trigger\nmetadata:\n  name: slack-prod\nspec:\n"
                    + "  type: Slack\n";
            Path a = Files.writeString(dir.resolve("a.yaml"), trigger("alpha", "agent-one") + slack);
            watcher().start();
            java.util.function.Supplier<Long> lines = () -> appender.list.stream()
                    .map(ch.qos.logback.classic.spi.ILoggingEvent::getFormattedMessage)
                    .filter(m -> m.contains("Trigger 'slack-prod': skipped: platform slack, not a PagerDuty Trigger"))
                    .count();
            assertThat(lines.get()).isEqualTo(1);

            Files.writeString(a, trigger("alpha", "agent-two") + slack);
            await().atMost(Duration.ofSeconds(20)).until(() -> changes.size() == 1);
            assertThat(lines.get()).isEqualTo(2);
        } finally {
            log.detachAppender(appender);
        }
    }
}
