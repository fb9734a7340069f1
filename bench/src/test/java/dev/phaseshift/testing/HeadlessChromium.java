package dev.phaseshift.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * Headless Chromium driven through chromedriver's W3C WebDriver HTTP API, without a browser
 * framework. {@code chromium --dump-dom} alone is not enough for the Temporal Web UI: it dumps the
 * page before the single-page app has rendered, and with {@code --virtual-time-budget} it never
 * returns because the UI keeps polling. Through WebDriver the test polls the live DOM instead.
 */
public final class HeadlessChromium implements AutoCloseable {
  public static final String INSTALL = "apt-get install -y chromium chromium-driver";
  private static final ObjectMapper JSON = new ObjectMapper();

  private final Process driver;
  private final String base;
  private final String session;
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  public static boolean available() {
    return TemporalDevServer.onPath("chromium").isPresent() && TemporalDevServer.onPath("chromedriver").isPresent();
  }

  public HeadlessChromium(Path profile) throws IOException, InterruptedException {
    int port = TemporalDevServer.freePort();
    driver = new ProcessBuilder(TemporalDevServer.onPath("chromedriver").orElseThrow().toString(), "--port=" + port)
        .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
    base = "http://127.0.0.1:" + port;
    waitForPort(port);
    Optional<Path> binary = Optional.of(Path.of("/usr/lib/chromium/chromium")).filter(Files::isExecutable);
    ObjectNode options = JSON.createObjectNode();
    binary.ifPresent(b -> options.put("binary", b.toString()));
    List.of("--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
        "--disable-background-networking", "--disable-component-update", "--no-first-run", "--disable-sync",
        "--user-data-dir=" + profile).forEach(options.withArray("args")::add);
    ObjectNode body = JSON.createObjectNode();
    body.putObject("capabilities").putObject("alwaysMatch").put("browserName", "chrome")
        .set("goog:chromeOptions", options);
    JsonNode created = call("POST", "/session", body);
    session = created.at("/value/sessionId").asText();
    if (session.isEmpty()) {
      close();
      throw new IOException("chromedriver did not start a session: " + created);
    }
  }

  public void open(String url) throws IOException, InterruptedException {
    ObjectNode body = JSON.createObjectNode().put("url", url);
    call("POST", "/session/" + session + "/url", body);
  }

  /**
   * Clicks the innermost element whose visible text is {@code text} (a tab, an accordion), as a
   * person would; returns whether one was found.
   */
  public boolean click(String text) throws IOException, InterruptedException {
    ObjectNode script = JSON.createObjectNode().put("script",
        "const want = arguments[0];"
            + "const hits = [...document.querySelectorAll('button, summary, a, [role=button], [role=tab]')]"
            + "  .filter(e => e.innerText && e.innerText.trim() === want);"
            + "if (hits.length === 0) return false; hits[0].click(); return true;");
    script.putArray("args").add(text);
    return call("POST", "/session/" + session + "/execute/sync", script).path("value").asBoolean();
  }

  /** The HTML of the page, for failure messages. */
  public String html() throws IOException, InterruptedException {
    ObjectNode script = JSON.createObjectNode().put("script", "return document.documentElement.outerHTML");
    script.putArray("args");
    return call("POST", "/session/" + session + "/execute/sync", script).path("value").asText();
  }

  /** The rendered page's text (what a person reads), polled until it contains {@code text} or time runs out. */
  public String awaitText(String text, Duration timeout) throws IOException, InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    String page = "";
    while (System.nanoTime() < deadline) {
      ObjectNode script = JSON.createObjectNode().put("script", "const texts = [document.body ? document.body.innerText : ''];"
              // The Web UI renders Markdown (summary, details, current details) in same-origin iframes.
              + "for (const f of document.querySelectorAll('iframe')) {"
              + "  try { if (f.contentDocument && f.contentDocument.body) texts.push(f.contentDocument.body.innerText); } catch (e) {}"
              + "}"
              + "return texts.join('\\n');");
      script.putArray("args");
      page = call("POST", "/session/" + session + "/execute/sync", script).path("value").asText();
      if (page.contains(text)) return page;
      Thread.sleep(500);
    }
    return page;
  }

  private JsonNode call(String method, String path, JsonNode body) throws IOException, InterruptedException {
    HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(60));
    request = body == null ? request.method(method, HttpRequest.BodyPublishers.noBody())
        : request.header("Content-Type", "application/json")
            .method(method, HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(body)));
    HttpResponse<String> response = http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    return JSON.readTree(response.body());
  }

  private void waitForPort(int port) throws IOException, InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (System.nanoTime() < deadline) {
      try (Socket ignored = new Socket("127.0.0.1", port)) {
        return;
      } catch (IOException notYet) {
        Thread.sleep(100);
      }
    }
    driver.destroyForcibly();
    throw new IOException("chromedriver did not listen on port " + port);
  }

  @Override
  public void close() throws IOException, InterruptedException {
    try {
      if (session != null && !session.isEmpty()) call("DELETE", "/session/" + session, null);
    } finally {
      driver.destroy();
      if (!driver.waitFor(10, TimeUnit.SECONDS)) driver.destroyForcibly();
    }
  }
}
