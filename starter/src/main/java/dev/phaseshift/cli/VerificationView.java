package dev.phaseshift.cli;

import dev.phaseshift.model.StatementTime;
import dev.phaseshift.model.VerificationBaseline;
import dev.phaseshift.model.VerificationStatus;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Locale;

/**
 * The verification window after the switchover, as `status` prints it (with the time left) and as
 * the report's section: its state, the source's baseline, and each signal of the last sample.
 */
final class VerificationView {
  private VerificationView() {}

  static String lines(VerificationStatus v, Instant now) {
    StringBuilder b = new StringBuilder("  verification window: ").append(v.state()).append(", ")
        .append(v.samples()).append(" sample(s), ").append(v.failedSamples()).append(" failed");
    if ("watching".equals(v.state())) b.append(", ").append(timeLeft(v.endsAt(), now));
    b.append('\n');
    for (String signal : v.signals()) b.append("    ").append(signal).append('\n');
    for (String failure : v.failures()) b.append("    FAILED: ").append(failure).append('\n');
    for (String warning : v.warnings()) b.append("    warning: ").append(warning).append('\n');
    return b.toString();
  }

  static String markdown(VerificationStatus v) {
    StringBuilder md = new StringBuilder("\n## Verification window\n\n").append(v.state()).append(": ")
        .append(v.samples()).append(" sample(s), ").append(v.failedSamples()).append(" failed, window until ")
        .append(v.endsAt()).append("\n\n");
    VerificationBaseline b = v.baseline();
    if (b != null) {
      md.append(String.format(Locale.ROOT, "Baseline (source, %.0f s before the switch): %d transactions, %.1f%%"
          + " rolled back, %.1f deadlocks/min, %d connections%n%n", b.seconds(), b.transactions(),
          100 * b.rollbackShare(), b.deadlocksPerMinute(), b.clientBackends()));
      if (!b.topStatements().isEmpty()) {
        md.append("| top statement on the source | calls | mean ms |\n|---|---:|---:|\n");
        for (StatementTime st : b.topStatements()) {
          md.append("| ").append(cell(st.query())).append(" | ").append(st.calls()).append(" | ")
              .append(String.format(Locale.ROOT, "%.3f", st.meanMillis())).append(" |\n");
        }
        md.append('\n');
      }
    }
    if (!v.signals().isEmpty()) {
      md.append("Last sample:\n\n");
      for (String signal : v.signals()) md.append("- ").append(signal).append('\n');
    }
    for (String failure : v.failures()) md.append("- **failed**: ").append(failure).append('\n');
    for (String warning : v.warnings()) md.append("- warning: ").append(warning).append('\n');
    return md.toString();
  }

  private static String timeLeft(String endsAt, Instant now) {
    try {
      Duration left = Duration.between(now, Instant.parse(endsAt));
      return left.isNegative() ? "ending" : left.toMinutes() + "m" + left.toSecondsPart() + "s left";
    } catch (DateTimeParseException e) {
      return "until " + endsAt;
    }
  }

  private static String cell(String text) {
    return text.replace("\n", " ").replace("|", "\\|");
  }
}
