package io.wspush.browser;

import io.wspush.testing.Poll;
import org.junit.jupiter.api.Assumptions;
import org.openqa.selenium.Dimension;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.logging.LogEntry;
import org.openqa.selenium.logging.LogType;
import org.openqa.selenium.logging.LoggingPreferences;

import java.io.File;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.logging.Level;
import java.util.logging.Logger;
import java.util.stream.Stream;

/**
 * Debian's headless Chromium driven through Debian's chromedriver. Both paths are given explicitly, so Selenium
 * Manager never runs and nothing is ever downloaded. A machine without them skips the browser tests with a loud
 * message, except in CI (environment variable {@code CI} set), where that is a failure.
 */
final class Browser implements AutoCloseable {

    // Debian's paths; the system properties exist for other layouts (and to try the "not installed" path).
    static final Path CHROMIUM = Path.of(System.getProperty("wspush.test.chromium", "/usr/bin/chromium"));
    static final Path CHROMEDRIVER = Path.of(System.getProperty("wspush.test.chromedriver", "/usr/bin/chromedriver"));
    static final Path SCREENSHOTS = Path.of("target", "screenshots");

    final ChromeDriver driver;
    private final ChromeDriverService service;
    private final Path profile;

    private Browser(ChromeDriver driver, ChromeDriverService service, Path profile) {
        this.driver = driver;
        this.service = service;
        this.profile = profile;
    }

    // Selenium looks for a DevTools binding matching Chromium's version and warns when there is none; these tests
    // only use chromedriver's own CDP command endpoint, which needs none. Held here so the setting sticks.
    private static final Logger CDP_VERSION_FINDER = Logger.getLogger("org.openqa.selenium.devtools.CdpVersionFinder");

    static {
        CDP_VERSION_FINDER.setLevel(Level.SEVERE);
    }

    /** Fails (in CI) or aborts, i.e. skips, the calling test class (elsewhere) when Chromium is not installed. */
    static void requireInstalled() {
        String missing = Stream.of(CHROMIUM, CHROMEDRIVER).filter(p -> !Files.isExecutable(p))
                .map(Path::toString).reduce((a, b) -> a + " and " + b).orElse(null);
        if (missing != null) {
            String message = "BROWSER TESTS NOT RUN: " + missing + " missing. Install Debian's chromium and "
                    + "chromium-driver (apt-get install chromium chromium-driver; ./test.sh does it).";
            String banner = "\n" + "*".repeat(100) + "\n*** " + message + "\n" + "*".repeat(100) + "\n";
            System.err.println(banner);
            String ci = System.getenv("CI");
            if (ci != null && !ci.isBlank() && !ci.equalsIgnoreCase("false")) {
                throw new AssertionError(message + " CI is set, so this is a failure, not a skip.");
            }
            Assumptions.abort(message);
        }
    }

    /** Starts Debian's Chromium; see {@link #requireInstalled()}. */
    static Browser start() {
        requireInstalled();
        Path profile;
        try {
            profile = Files.createTempDirectory("wspush-chromium-");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        ChromeDriverService service = new ChromeDriverService.Builder()
                .usingDriverExecutable(CHROMEDRIVER.toFile())
                .usingAnyFreePort()
                .withLogOutput(OutputStream.nullOutputStream())
                .build();
        ChromeOptions options = new ChromeOptions();
        options.setBinary(CHROMIUM.toString());
        LoggingPreferences logs = new LoggingPreferences();
        logs.enable(LogType.BROWSER, Level.ALL);
        options.setCapability(ChromeOptions.LOGGING_PREFS, logs);
        options.addArguments(
                "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--disable-dev-shm-usage", "--user-data-dir=" + profile, "--window-size=1280,860",
                "--lang=en-US", "--hide-scrollbars");
        try {
            return new Browser(new ChromeDriver(service, options), service, profile);
        } catch (RuntimeException e) {
            service.stop();
            deleteTree(profile);
            throw new AssertionError("Chromium did not start through " + CHROMEDRIVER, e);
        }
    }

    /** The page's console errors and failed loads since the last call. */
    List<String> consoleErrors() {
        return driver.manage().logs().get(LogType.BROWSER).getAll().stream()
                .filter(e -> e.getLevel().intValue() >= Level.SEVERE.intValue())
                .map(LogEntry::getMessage).toList();
    }

    Object js(String script, Object... args) {
        return ((JavascriptExecutor) driver).executeScript(script, args);
    }

    /** A phone: 390 × 844 CSS pixels at 2×, with mobile viewport rules (the page's meta viewport applies). */
    void emulatePhone() {
        driver.executeCdpCommand("Emulation.setDeviceMetricsOverride",
                Map.of("width", 390, "height", 844, "deviceScaleFactor", 2, "mobile", true));
    }

    void emulateDarkScheme(boolean dark) {
        driver.executeCdpCommand("Emulation.setEmulatedMedia", Map.of("features",
                List.of(Map.of("name", "prefers-color-scheme", "value", dark ? "dark" : "light"))));
    }

    void resetEmulation() {
        driver.executeCdpCommand("Emulation.clearDeviceMetricsOverride", Map.of());
        emulateDarkScheme(false);
        driver.manage().window().setSize(new Dimension(1280, 860));
    }

    /** Saves the whole page (not only the viewport) as target/screenshots/{name}.png, once arrivals are animated. */
    Path screenshot(String name) {
        Poll.until("animations to finish before screenshot " + name, Duration.ofSeconds(5), () -> Boolean.TRUE.equals(js(
                "return document.getAnimations().every(a => a.playState !== 'running'"
                        + " || a.effect.getComputedTiming().iterations === Infinity)")));
        @SuppressWarnings("unchecked")
        Map<String, Object> metrics = (Map<String, Object>) driver.executeCdpCommand("Page.getLayoutMetrics", Map.of());
        @SuppressWarnings("unchecked")
        Map<String, Object> content = (Map<String, Object>) metrics.get("cssContentSize");
        @SuppressWarnings("unchecked")
        Map<String, Object> viewport = (Map<String, Object>) metrics.get("cssLayoutViewport");
        double width = ((Number) viewport.get("clientWidth")).doubleValue();
        double height = Math.max(((Number) content.get("height")).doubleValue(),
                ((Number) viewport.get("clientHeight")).doubleValue());
        Map<String, Object> shot = driver.executeCdpCommand("Page.captureScreenshot", Map.of(
                "format", "png", "captureBeyondViewport", true,
                "clip", Map.of("x", 0, "y", 0, "width", width, "height", height, "scale", 1)));
        try {
            Files.createDirectories(SCREENSHOTS);
            Path file = SCREENSHOTS.resolve(name + ".png");
            Files.write(file, Base64.getDecoder().decode((String) shot.get("data")));
            return file;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void close() {
        try {
            driver.quit();
        } finally {
            service.stop();
            deleteTree(profile);
        }
    }

    private static void deleteTree(Path dir) {
        try (Stream<Path> files = Files.walk(dir)) {
            files.sorted(Comparator.reverseOrder()).map(Path::toFile).forEach(File::delete);
        } catch (IOException ignored) {
            // a temp dir left behind is harmless
        }
    }
}
