package io.streamwatch.rules.api;

import io.streamwatch.rules.RuleJson;
import io.streamwatch.rules.WebhookPrefixes;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.streamwatch.testkit.EmbeddedKafka;
import io.streamwatch.testkit.Http;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.logging.Level;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.logging.LogEntry;
import org.openqa.selenium.logging.LogType;
import org.openqa.selenium.logging.LoggingPreferences;
import org.openqa.selenium.support.ui.Select;

/**
 * The rules page in headless Chromium (Debian's chromium and chromium-driver; nothing downloaded): a person
 * creates, edits and deletes a rule by clicking, and the rules topic shows each step; the page is styled by its own
 * stylesheet under a strict Content-Security-Policy, and its screenshot in docs/ is taken here.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class RulesPageTest {
    static final String TOKEN = "page-token";
    @TempDir
    static Path dir;
    static EmbeddedKafka kafka;
    static RulesApi api;
    static WebDriver browser;

    @BeforeAll
    static void start() throws Exception {
        kafka = EmbeddedKafka.start(dir);
        api = RulesApi.start(new RulesApi.Settings("127.0.0.1", 0, kafka.bootstrapServers(), "rules", WebhookPrefixes.discord(),
                ApiToken.load(null, TOKEN)));
        ChromeOptions options = new ChromeOptions();
        options.setBinary("/usr/bin/chromium");
        options.addArguments("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", "--window-size=1280,720");
        LoggingPreferences logs = new LoggingPreferences();
        logs.enable(LogType.BROWSER, Level.ALL);
        options.setCapability("goog:loggingPrefs", logs);
        ChromeDriverService service = new ChromeDriverService.Builder()
                .usingDriverExecutable(new java.io.File("/usr/bin/chromedriver")).usingAnyFreePort().build();
        browser = new ChromeDriver(service, options);
    }

    @AfterAll
    static void stop() {
        if (browser != null) {
            browser.quit();
        }
        api.close();
        kafka.close();
    }

    @Test
    @Order(1)
    void createEditAndDeleteByClicking() throws Exception {
        browser.get("http://127.0.0.1:" + api.port() + "/");
        await().atMost(Duration.ofSeconds(5)).until(() -> browser.findElement(By.id("empty")).isDisplayed());
        assertTrue(text("empty").startsWith("No rules yet. Create the first one"), "an empty list says how to begin");

        // A wrong token is said to be refused, not failed silently.
        browser.findElement(By.id("token")).sendKeys("not-the-token");
        fill("cpu-usage-server-124", "90", "https://discord.com/api/webhooks/123/tok_en");
        browser.findElement(By.id("save")).click();
        await().atMost(Duration.ofSeconds(5)).until(() -> text("token-state").equals("token refused"));
        assertTrue(text("errors").startsWith("The API token was refused (401)"), text("errors"));
        assertEquals(0, kafka.records("rules"));
        browser.findElement(By.id("token")).clear();
        browser.findElement(By.id("token")).sendKeys(TOKEN);

        // A refused webhook shows the API's message and writes nothing.
        fill("cpu-usage-server-124", "90", "https://evil.example/hook");
        browser.findElement(By.id("save")).click();
        await().atMost(Duration.ofSeconds(5)).until(() -> text("errors").contains("discord_webhook_url must be a URL under"));
        assertEquals(0, kafka.records("rules"));

        fill("cpu-usage-server-124", "90", "https://discord.com/api/webhooks/123/tok_en");
        browser.findElement(By.id("save")).click();
        WebElement row = await().atMost(Duration.ofSeconds(5)).until(() -> rows().stream().findFirst().orElse(null), r -> r != null);
        String id = row.getAttribute("data-id");
        assertEquals("https://discord.com/api/webhooks/123/****", row.findElement(By.className("discord_webhook_url")).getText());
        JsonNode created = RuleJson.JSON.readTree(last(id).value());
        assertEquals("cpu-usage-server-124", created.get("metric_name").asText());
        assertEquals(90, created.get("threshold").asInt());
        assertEquals("https://discord.com/api/webhooks/123/tok_en", created.get("discord_webhook_url").asText());

        row.findElement(By.className("edit")).click();
        browser.findElement(By.id("threshold")).clear();
        browser.findElement(By.id("threshold")).sendKeys("95.5");
        new Select(browser.findElement(By.id("operator"))).selectByVisibleText(">=");
        browser.findElement(By.id("cooldown_seconds")).clear();
        browser.findElement(By.id("cooldown_seconds")).sendKeys("60");
        browser.findElement(By.id("save")).click();
        await().atMost(Duration.ofSeconds(5)).until(() -> text("status").equals("Saved cpu-usage-server-124 >= 95.5 (" + id + ")"));
        assertEquals("token accepted", text("token-state"));
        JsonNode edited = RuleJson.JSON.readTree(last(id).value());
        assertEquals(95.5, edited.get("threshold").asDouble());
        assertEquals(">=", edited.get("operator").asText());
        assertEquals(60, edited.get("cooldown_seconds").asInt());
        assertEquals("https://discord.com/api/webhooks/123/tok_en", edited.get("discord_webhook_url").asText(), "kept, though the page never saw it");
        assertEquals("95.5", rows().get(0).findElement(By.className("threshold")).getText());

        rows().get(0).findElement(By.className("delete")).click();
        await().atMost(Duration.ofSeconds(5)).until(() -> rows().isEmpty());
        assertNull(last(id).value(), "a tombstone");
        assertEquals("Deleted cpu-usage-server-124 >= 95.5 (" + id + ")", text("status"));
        assertTrue(browser.findElement(By.id("empty")).isDisplayed(), "the list is empty again");
    }

    @Test
    @Order(2)
    void thePageIsStyledByItsOwnStylesheetUnderAStrictPolicy_andItsScreenshotGoesToTheDocs() throws Exception {
        String base = "http://127.0.0.1:" + api.port();
        for (String[] rule : List.of(new String[] {"cpu-usage-server-124", "90", "123"}, new String[] {"packages-received", "500", "456"},
                new String[] {"disk-free-bytes", "1000000", "789"})) {
            String body = RuleJson.JSON.createObjectNode().put("metric_name", rule[0]).put("threshold", Double.parseDouble(rule[1]))
                    .put("discord_webhook_url", "https://discord.com/api/webhooks/" + rule[2] + "/secret-token").toString();
            assertEquals(201, Http.send("POST", base + "/rules", body, "Authorization", "Bearer " + TOKEN,
                    "Content-Type", "application/json").status());
        }

        browser.get(base + "/");
        await().atMost(Duration.ofSeconds(5)).until(() -> rows().size() == 3);
        List<String> violations = browser.manage().logs().get(LogType.BROWSER).getAll().stream().map(LogEntry::getMessage)
                .filter(message -> message.contains("Content Security Policy") || message.contains("Refused to")).toList();
        assertEquals(List.of(), violations, "the browser refused nothing the page uses");
        assertEquals("grid", browser.findElement(By.tagName("form")).getCssValue("display"), "the form is the stylesheet's grid");
        assertEquals("collapse", browser.findElement(By.id("rules")).getCssValue("border-collapse"));
        assertEquals("32px", browser.findElement(By.tagName("body")).getCssValue("margin-top"), "the stylesheet's 2rem, not the browser's 8px");
        assertTrue(browser.findElement(By.cssSelector("#rules td")).getCssValue("border-bottom-style").equals("solid"));
        assertTrue(browser.getPageSource().contains("/****") && !browser.getPageSource().contains("secret-token"), "tokens masked");
        String policy = Http.send("GET", base + "/", null).headers().firstValue("Content-Security-Policy").orElse("");
        for (String directive : List.of("default-src 'self'", "style-src 'self'", "script-src 'self'", "frame-ancestors 'none'",
                "form-action 'self'")) {
            assertTrue(policy.contains(directive), "the page's policy says " + directive + ": " + policy);
        }

        Path screenshot = Path.of("..", "docs", "rules-page.png");
        Files.write(screenshot.toAbsolutePath().normalize(), ((TakesScreenshot) browser).getScreenshotAs(OutputType.BYTES));
    }

    static void fill(String metric, String threshold, String url) {
        for (String field : List.of("metric_name", "threshold", "discord_webhook_url")) {
            browser.findElement(By.id(field)).clear();
        }
        browser.findElement(By.id("metric_name")).sendKeys(metric);
        browser.findElement(By.id("threshold")).sendKeys(threshold);
        browser.findElement(By.id("discord_webhook_url")).sendKeys(url);
    }

    static List<WebElement> rows() {
        return browser.findElements(By.cssSelector("#rules tbody tr"));
    }

    static String text(String id) {
        return browser.findElement(By.id(id)).getText();
    }

    static EmbeddedKafka.Record last(String key) {
        List<EmbeddedKafka.Record> records = kafka.read("rules").stream().filter(r -> key.equals(r.key())).toList();
        return records.get(records.size() - 1);
    }
}
