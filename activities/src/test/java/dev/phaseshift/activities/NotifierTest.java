package dev.phaseshift.activities;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import dev.phaseshift.model.Notification;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class NotifierTest {
  private HttpServer server;
  private final AtomicReference<String> method = new AtomicReference<>();
  private final AtomicReference<String> contentType = new AtomicReference<>();
  private final AtomicReference<String> body = new AtomicReference<>();
  private final AtomicInteger status = new AtomicInteger(204);

  @BeforeEach
  void start() throws Exception {
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.createContext("/hooks/", exchange -> {
      method.set(exchange.getRequestMethod());
      contentType.set(exchange.getRequestHeaders().getFirst("Content-Type"));
      body.set(new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8));
      byte[] answer = status.get() == 204 ? new byte[0] : "database of hooks is down".getBytes(StandardCharsets.UTF_8);
      exchange.sendResponseHeaders(status.get(), answer.length == 0 ? -1 : answer.length);
      if (answer.length > 0) exchange.getResponseBody().write(answer);
      exchange.close();
    });
    server.start();
  }

  @AfterEach
  void stop() {
    server.stop(0);
  }

  private String url() {
    return "http://127.0.0.1:" + server.getAddress().getPort() + "/hooks/T0K3N-secret-path";
  }

  @Test
  void postsTheNotificationAsJson() throws Exception {
    Notification n = new Notification("switchover", "shop", "SWITCHOVER", "writes moved to the target in 212 ms",
        "2026-05-02T02:00:01Z");
    new Notifier().send(url(), n);

    assertEquals("POST", method.get());
    assertEquals("application/json", contentType.get());
    JsonNode json = new ObjectMapper().readTree(body.get());
    assertEquals("switchover", json.get("event").asText());
    assertEquals("shop", json.get("migration").asText());
    assertEquals("SWITCHOVER", json.get("phase").asText());
    assertEquals("writes moved to the target in 212 ms", json.get("message").asText());
    assertEquals("2026-05-02T02:00:01Z", json.get("at").asText());
    assertEquals(5, json.size(), body.get());
  }

  @Test
  void anErrorAnswerFailsSoTheActivityIsRetried() {
    status.set(500);
    RuntimeException e = assertThrows(RuntimeException.class,
        () -> new Notifier().send(url(), new Notification("failed", "shop", "MIGRATE", "copy failed", "now")));
    assertTrue(e.getMessage().contains("HTTP 500") && e.getMessage().contains("database of hooks is down"),
        e.getMessage());
    assertFalse(e.getMessage().contains("T0K3N"), "the webhook's secret path stays out of messages: " + e.getMessage());
    assertEquals("POST", method.get());
  }

  @Test
  void anUnreachableWebhookFails() {
    String closed = url();
    server.stop(0);
    RuntimeException e = assertThrows(RuntimeException.class,
        () -> new Notifier().send(closed, new Notification("completed", "shop", "OPTIMIZE", "done", "now")));
    assertTrue(e.getMessage().contains("notification 'completed'") && e.getMessage().contains("failed"),
        e.getMessage());
    assertFalse(e.getMessage().contains("T0K3N"), e.getMessage());
  }
}
