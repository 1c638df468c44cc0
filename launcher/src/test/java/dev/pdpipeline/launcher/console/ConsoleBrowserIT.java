package dev.pdpipeline.launcher.console;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.pdpipeline.common.signature.WebhookSignature;
import dev.pdpipeline.console.ConsoleConfig;
import dev.pdpipeline.console.ConsoleService;
import dev.pdpipeline.launcher.Pipeline;
import dev.pdpipeline.launcher.cli.Environment;
import dev.pdpipeline.launcher.local.LocalPipeline;
import java.io.File;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.openqa.selenium.By;
import org.openqa.selenium.NoAlertPresentException;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.Select;
import picocli.CommandLine;

/**
 * The console in headless Chromium against the real local run (embedded Kafka, ingress,
 * processor, example agent, console), driven the way an operator would. Needs Debian's
 * {@code chromium} and {@code chromium-driver} ({@code .ci/run} installs them); without them the
 * test fails, it does not skip. Saves the screenshots of docs/console.md under docs/console/.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ConsoleBrowserIT {

    static final String CHROMIUM = System.getenv().getOrDefault("CHROMIUM_BIN", "/usr/bin/chromium");
    static final String CHROMEDRIVER = System.getenv().getOrDefault("CHROMEDRIVER_BIN", "/usr/bin/chromedriver");
    static final String TOKEN = "console-browser-test-admin-token";
    static final String HOSTILE = "<img src=x onerror=alert(1)>";
    static final String TRIGGER = "diagnose-critical-incidents";

    private Path dataDir;
    private Path profile;
    private LocalPipeline pipeline;
    private ConsoleService readOnlyConsole;
    private ChromeDriverService driverService;
    private WebDriver browser;
    private String base;

    @BeforeAll
    void start() throws Exception {
        assertThat(new File(CHROMIUM).canExecute()).as("chromium is needed for the console's browser tests:"
                + " apt-get install -y chromium chromium-driver (or set CHROMIUM_BIN)").isTrue();
        assertThat(new File(CHROMEDRIVER).canExecute()).as("chromedriver is needed for the console's browser tests:"
                + " apt-get install -y chromium-driver (or set CHROMEDRIVER_BIN)").isTrue();
        dataDir = Files.createTempDirectory("console-it");
        profile = Files.createTempDirectory("console-it-chromium");
        Path home = Path.of("..").toAbsolutePath().normalize();
        Map<String, String> env = new HashMap<>();
        env.put("KAFKA_BOOTSTRAP_SERVERS", "localhost:" + freePort());
        env.put("LOCAL_DATA_DIR", dataDir.toString());
        env.put("INGRESS_PORT", "0");
        env.put("MANAGEMENT_PORT", "0");
        env.put("CONSOLE_PORT", "0");
        env.put(ConsoleConfig.CONSOLE_ADMIN_TOKEN, TOKEN);
        Map<String, String> localEnv = LocalPipeline.withLocalDefaults(env, home);
        pipeline = LocalPipeline.start(localEnv);
        await().atMost(Duration.ofSeconds(90)).until(pipeline::isReady);
        Environment.override(pipeline.environment());
        base = "http://127.0.0.1:" + pipeline.consolePort();

        Map<String, String> readOnly = new HashMap<>(pipeline.environment());
        readOnly.remove(ConsoleConfig.CONSOLE_ADMIN_TOKEN);
        readOnlyConsole = ConsoleActions.startConsole(ConsoleConfig.fromEnv(readOnly), readOnly);

        driverService = new ChromeDriverService.Builder().usingDriverExecutable(new File(CHROMEDRIVER))
                .usingAnyFreePort().build();
        ChromeOptions options = new ChromeOptions();
        options.setBinary(CHROMIUM);
        options.addArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--no-first-run", "--user-data-dir=" + profile, "--window-size=1280,900");
        browser = new ChromeDriver(driverService, options);

        send("--event-id", "evt-routed-1", "--incident", "Q1ROUTED", "--incident-number", "101",
                "--title", "Checkout latency above SLO");
        send("--event-id", "evt-routed-1", "--incident", "Q1ROUTED", "--incident-number", "101",
                "--title", "Checkout latency above SLO");
        send("--event-id", "evt-filtered-1", "--incident", "Q2FILTERED", "--incident-number", "102",
                "--priority", "P4", "--title", "Disk usage 81%");
        send("--event-id", "evt-hostile-1", "--incident", "Q3HOSTILE", "--incident-number", "103",
                "--title", HOSTILE);
        postSigned("this is not json".getBytes(StandardCharsets.UTF_8));
    }

    @AfterAll
    void stop() throws Exception {
        List<AutoCloseable> all = new ArrayList<>();
        if (browser != null) {
            all.add(browser::quit);
        }
        if (driverService != null) {
            all.add(driverService::stop);
        }
        if (readOnlyConsole != null) {
            all.add(readOnlyConsole);
        }
        if (pipeline != null) {
            all.add(pipeline);
        }
        for (AutoCloseable c : all) {
            try {
                c.close();
            } catch (Exception e) {
                // keep closing the others
            }
        }
        Environment.override(null);
    }

    @Test
    @Order(1)
    void theDeliveriesPageShowsRoutedFilteredDuplicateAndDeadLetteredDeliveriesLive() {
        browser.get(base + "/");
        // no reload: the page's script brings in deliveries as they are recorded
        await().atMost(Duration.ofSeconds(90)).ignoreExceptions().untilAsserted(() -> {
            String table = text(By.id("deliveries"));
            assertThat(table).contains("routed to diagnostic-agent", "duplicate",
                    "filtered out (diagnose-critical-incidents: min_priority", "dead-lettered: not_json");
        });
        assertThat(text(By.id("deliveries"))).contains("#101", "Checkout latency above SLO", "checkout-api");
        assertThat(browser.findElement(By.cssSelector("#deliveries time")).getAttribute("title")).startsWith("UTC: ");
        screenshot("deliveries");

        new Select(browser.findElement(By.id("f-outcome"))).selectByValue("filtered");
        browser.findElement(By.cssSelector("form.filters button")).click();
        await().atMost(Duration.ofSeconds(10)).until(() -> browser.getCurrentUrl().contains("outcome=filtered"));
        assertThat(text(By.id("deliveries-body"))).contains("Q2FILTERED").doesNotContain("Q1ROUTED");
    }

    @Test
    @Order(2)
    void theIncidentPageNamesTheFilterThatRejectedAnEvent() {
        await().atMost(Duration.ofSeconds(60)).ignoreExceptions().untilAsserted(() -> {
            browser.get(base + "/incidents/Q2FILTERED");
            assertThat(text(By.id("timeline"))).contains("evt-filtered-1");
        });
        assertThat(text(By.id("timeline"))).contains("incident.triggered", "evt-filtered-1",
                "rejected by min_priority", "P4");
    }

    @Test
    @Order(3)
    void theIncidentPageShowsTheDecisionTheRequestTheAgentsNoteAndTheDryRun() {
        await().atMost(Duration.ofSeconds(90)).ignoreExceptions().untilAsserted(() -> {
            browser.get(base + "/incidents/Q1ROUTED");
            assertThat(browser.findElements(By.cssSelector("#results pre.note"))).isNotEmpty();
            assertThat(text(By.id("timeline"))).contains("duplicate");
        });
        assertThat(text(By.id("timeline"))).contains("routed to diagnostic-agent on agent.diagnostic-agent.requests",
                "duplicate");
        assertThat(text(By.id("requests"))).contains("agent.diagnostic-agent.requests", TRIGGER);
        assertThat(text(By.id("results"))).contains("diagnostic-agent", "dry run");
        assertThat(browser.findElement(By.cssSelector("#results pre.note")).getText()).isNotBlank();
        screenshot("incident");
    }

    @Test
    @Order(4)
    void anActionWithAWrongTokenIsRefused() {
        browser.get(base + "/incidents/Q1ROUTED");
        browser.findElement(By.id("admin-token")).sendKeys("not-the-admin-token");
        browser.findElement(By.id("replay-button")).click();
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() ->
                assertThat(text(By.id("action-status"))).contains("Refused (403)"));
    }

    @Test
    @Order(5)
    void theReplayButtonWithTheAdminTokenReplaysTheIncident() {
        browser.get(base + "/incidents/Q1ROUTED");
        new Select(browser.findElement(By.id("replay-trigger"))).selectByValue(TRIGGER);
        browser.findElement(By.id("admin-token")).sendKeys(TOKEN);
        browser.findElement(By.id("replay-button")).click();
        await().atMost(Duration.ofSeconds(60)).untilAsserted(() ->
                assertThat(text(By.id("action-status"))).containsPattern("Replay replay-\\S+: 1 request\\(s\\) sent"));
        screenshot("replay");
        await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
            browser.get(base + "/incidents/Q1ROUTED");
            assertThat(text(By.id("requests"))).contains("replay (no write-back)");
        });
        assertThat(browser.getPageSource()).doesNotContain(TOKEN);
    }

    @Test
    @Order(6)
    void withoutTheAdminTokenTheButtonsAreNotShownAndTheApiRefuses() throws Exception {
        browser.get("http://127.0.0.1:" + readOnlyConsole.port() + "/incidents/Q1ROUTED");
        await().atMost(Duration.ofSeconds(60)).ignoreExceptions().untilAsserted(() -> {
            browser.get("http://127.0.0.1:" + readOnlyConsole.port() + "/incidents/Q1ROUTED");
            assertThat(text(By.id("timeline"))).contains("evt-routed-1");
        });
        assertThat(browser.findElements(By.id("replay-form"))).isEmpty();
        assertThat(browser.findElements(By.id("admin-token"))).isEmpty();
        HttpResponse<String> refused = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + readOnlyConsole.port() + "/api/incidents/Q1ROUTED/replay"))
                .header("Authorization", "Bearer " + TOKEN)
                .POST(HttpRequest.BodyPublishers.ofString("{\"trigger\":\"" + TRIGGER + "\"}")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(refused.statusCode()).isEqualTo(403);
    }

    @Test
    @Order(7)
    void aHostileTitleIsShownAsTextAndRunsNothing() {
        await().atMost(Duration.ofSeconds(60)).ignoreExceptions().untilAsserted(() -> {
            browser.get(base + "/incidents/Q3HOSTILE");
            assertThat(text(By.id("timeline"))).contains("evt-hostile-1");
        });
        assertThat(browser.findElement(By.id("incident-title")).getText()).isEqualTo(HOSTILE);
        assertThat(browser.findElements(By.cssSelector("main img"))).isEmpty();
        browser.get(base + "/");
        await().atMost(Duration.ofSeconds(30)).ignoreExceptions().untilAsserted(() ->
                assertThat(text(By.id("deliveries"))).contains(HOSTILE));
        assertThat(browser.findElements(By.cssSelector("main img"))).isEmpty();
        try {
            browser.switchTo().alert();
            throw new AssertionError("the hostile title opened an alert");
        } catch (NoAlertPresentException expected) {
            // nothing ran
        }
    }

    @Test
    @Order(8)
    void theDeadLettersPageShowsTheReasonAndReDrivesWithTheToken() {
        browser.get(base + "/dead-letters");
        await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
            browser.navigate().refresh();
            assertThat(text(By.id("dead-letters"))).contains("not_json", pipeline.topics().raw());
        });
        screenshot("dead-letters");
        browser.findElement(By.id("admin-token")).sendKeys(TOKEN);
        WebElement button = browser.findElement(By.cssSelector("button.redrive"));
        button.click();
        await().atMost(Duration.ofSeconds(60)).untilAsserted(() ->
                assertThat(text(By.id("action-status"))).contains("Re-driven to " + pipeline.topics().raw()));
        // the same entry again: recorded on the re-drive topic, so nothing is sent twice
        button.click();
        await().atMost(Duration.ofSeconds(60)).untilAsserted(() ->
                assertThat(text(By.id("action-status"))).contains("Already re-driven before"));
        // the processor dead-letters it again, with the same reason: a second dead letter appears
        await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
            browser.navigate().refresh();
            assertThat(browser.findElements(By.cssSelector("#dead-letters tbody tr"))).hasSizeGreaterThanOrEqualTo(2);
        });
    }

    @Test
    @Order(9)
    void theTriggersPageMasksSecretsAndCountsDecisions() {
        browser.get(base + "/triggers");
        String table = text(By.id("triggers"));
        assertThat(table).contains(TRIGGER, "diagnostic-agent", "****", "P2");
        assertThat(browser.getPageSource()).doesNotContain(LocalPipeline.LOCAL_WEBHOOK_SECRET);
        WebElement row = browser.findElement(By.cssSelector("tr[data-trigger='" + TRIGGER + "']"));
        List<WebElement> nums = row.findElements(By.cssSelector("td.num"));
        assertThat(Long.parseLong(nums.get(0).getText())).isGreaterThanOrEqualTo(2); // routed: Q1ROUTED, Q3HOSTILE
        assertThat(Long.parseLong(nums.get(1).getText())).isGreaterThanOrEqualTo(1); // rejected: Q2FILTERED
        screenshot("triggers");
    }

    // ---------------------------------------------------------------- helpers

    private String text(By by) {
        return browser.findElement(by).getText();
    }

    private void screenshot(String name) {
        try {
            Path dir = Path.of("..", "docs", "console");
            Files.createDirectories(dir);
            File shot = ((TakesScreenshot) browser).getScreenshotAs(OutputType.FILE);
            Files.copy(shot.toPath(), dir.resolve(name + ".png"), StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private void send(String... args) {
        List<String> all = new ArrayList<>(List.of("send-test-event", "--url",
                "http://localhost:" + pipeline.ingressPort() + "/webhooks/pagerduty"));
        all.addAll(List.of(args));
        StringWriter out = new StringWriter();
        CommandLine cli = Pipeline.commandLine();
        cli.setOut(new PrintWriter(out, true));
        cli.setErr(new PrintWriter(out, true));
        assertThat(cli.execute(all.toArray(String[]::new))).as(out.toString()).isZero();
        assertThat(out.toString()).contains("HTTP 202");
    }

    private void postSigned(byte[] body) throws Exception {
        HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                URI.create("http://localhost:" + pipeline.ingressPort() + "/webhooks/pagerduty"))
                .header("Content-Type", "application/json")
                .header("X-PagerDuty-Signature", WebhookSignature.header(LocalPipeline.LOCAL_WEBHOOK_SECRET, body))
                .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as(r.body()).isEqualTo(202);
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }
}
