package dev.phaseshift.cli;

import java.time.Duration;
import java.time.Instant;

/**
 * The copy's rate between two redraws of {@code status --watch}, and the time left at that rate.
 * Heartbeats reach Temporal every few seconds, so the rate is taken over the whole watch, not
 * between neighbouring samples, which would jump between zero and bursts.
 */
final class CopyRate {
  private Instant firstAt;
  private long firstBytes;
  private double bytesPerSecond;
  private boolean known;

  /** Adds a sample: bytes copied so far at a time. */
  void sample(long bytes, Instant at) {
    if (firstAt == null || bytes < firstBytes) {
      // First sample, or the copy started over from a new snapshot.
      firstAt = at;
      firstBytes = bytes;
      known = false;
      return;
    }
    double seconds = Duration.between(firstAt, at).toMillis() / 1000.0;
    if (seconds >= 1 && bytes > firstBytes) {
      bytesPerSecond = (bytes - firstBytes) / seconds;
      known = true;
    }
  }

  boolean known() {
    return known;
  }

  double bytesPerSecond() {
    return bytesPerSecond;
  }

  /**
   * Time left to copy {@code total} bytes having copied {@code done}: an estimate, since the total is
   * the tables' size on disk and a copy moves a little less (no free space, no row headers).
   */
  Duration left(long done, long total) {
    if (!known || total <= done) return Duration.ZERO;
    return Duration.ofSeconds((long) Math.ceil((total - done) / bytesPerSecond));
  }

  /** 2h 05m, 4m 12s, 9s. */
  static String human(Duration d) {
    long s = Math.max(0, d.getSeconds());
    if (s >= 3600) return String.format("%dh %02dm", s / 3600, (s % 3600) / 60);
    if (s >= 60) return String.format("%dm %02ds", s / 60, s % 60);
    return s + "s";
  }
}
