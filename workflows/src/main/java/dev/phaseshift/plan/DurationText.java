package dev.phaseshift.plan;

import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Durations as people write them in plans: {@code 500ms}, {@code 30s}, {@code 15m}, {@code 48h}, {@code 2d}. */
public final class DurationText {
  private static final Pattern FORMAT = Pattern.compile("(\\d+)\\s*(ms|s|m|h|d)");

  private DurationText() {}

  /** @throws IllegalArgumentException with a message that shows the accepted forms */
  public static Duration parse(String text) {
    Matcher m = text == null ? null : FORMAT.matcher(text.trim());
    if (m == null || !m.matches()) {
      throw new IllegalArgumentException(
          "'" + text + "' is not a duration; write a number and a unit: 500ms, 30s, 15m, 48h or 2d");
    }
    long n = Long.parseLong(m.group(1));
    return switch (m.group(2)) {
      case "ms" -> Duration.ofMillis(n);
      case "s" -> Duration.ofSeconds(n);
      case "m" -> Duration.ofMinutes(n);
      case "h" -> Duration.ofHours(n);
      default -> Duration.ofDays(n);
    };
  }

  public static boolean isValid(String text) {
    return text != null && FORMAT.matcher(text.trim()).matches();
  }
}
