package dev.phaseshift.activities;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.phaseshift.model.Notification;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/**
 * Posts notifications to the plan's webhook as JSON. Every failure is a plain runtime exception
 * so that Temporal retries the activity: a webhook that is down or answers 5xx usually recovers.
 */
public final class Notifier {
  private static final Duration TIMEOUT = Duration.ofSeconds(10);
  /** Enough of an error answer to tell what the receiver disliked without flooding the failure. */
  private static final int MAX_BODY_IN_MESSAGE = 300;

  private final ObjectMapper json = new ObjectMapper();
  private final HttpClient http = HttpClient.newBuilder()
      .connectTimeout(TIMEOUT)
      .followRedirects(HttpClient.Redirect.NORMAL)
      .build();

  public void send(String url, Notification notification) {
    URI uri;
    try {
      uri = URI.create(url);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("webhookUrl '" + redact(url) + "' is not a URL: " + e.getMessage());
    }
    byte[] body;
    try {
      body = json.writeValueAsBytes(notification);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot write notification '" + notification.event() + "' as JSON", e);
    }
    HttpRequest request = HttpRequest.newBuilder(uri)
        .timeout(TIMEOUT)
        .header("Content-Type", "application/json")
        .header("User-Agent", "phaseshift")
        .POST(HttpRequest.BodyPublishers.ofByteArray(body))
        .build();
    HttpResponse<String> response;
    try {
      response = http.send(request, HttpResponse.BodyHandlers.ofString());
    } catch (IOException e) {
      throw new IllegalStateException("notification '" + notification.event() + "' to " + redact(url)
          + " failed: " + e.getClass().getSimpleName() + (e.getMessage() == null ? "" : " " + e.getMessage()), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while sending notification '" + notification.event() + "'", e);
    }
    int status = response.statusCode();
    if (status < 200 || status > 299) {
      String answer = response.body() == null ? "" : response.body().strip();
      if (answer.length() > MAX_BODY_IN_MESSAGE) answer = answer.substring(0, MAX_BODY_IN_MESSAGE) + "...";
      throw new IllegalStateException("notification '" + notification.event() + "' to " + redact(url)
          + " was refused with HTTP " + status + (answer.isEmpty() ? "" : ": " + answer));
    }
  }

  /**
   * Webhook URLs often carry a token in the path or query (Slack, Teams); messages show only the
   * scheme and host so the token does not end up in workflow history.
   */
  static String redact(String url) {
    if (url == null) return "null";
    try {
      URI uri = URI.create(url);
      if (uri.getScheme() == null || uri.getHost() == null) return "(unparseable URL)";
      return uri.getScheme() + "://" + uri.getHost() + (uri.getPort() < 0 ? "" : ":" + uri.getPort()) + "/...";
    } catch (IllegalArgumentException e) {
      return "(unparseable URL)";
    }
  }
}
