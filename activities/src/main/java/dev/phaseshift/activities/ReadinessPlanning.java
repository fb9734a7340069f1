package dev.phaseshift.activities;

import dev.phaseshift.model.DowntimeForecast;
import dev.phaseshift.model.Finding;
import dev.phaseshift.model.RehearsalRecord;
import dev.phaseshift.model.RehearsalResult;
import dev.phaseshift.model.Severity;
import dev.phaseshift.model.WindowOpening;
import dev.phaseshift.model.WorkloadReport;
import dev.phaseshift.plan.DurationText;
import dev.phaseshift.plan.MaintenanceWindow;
import dev.phaseshift.plan.MigrationPlan;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns the measured workload into the approver's planning figures: the downtime forecast (from
 * the latest good rehearsal of the plan when there is one, else from the read rate measured now),
 * the plan's maintenance windows and the next one with room for the freeze, and warnings.
 */
final class ReadinessPlanning {
  /** Windows looked at for one with room for the freeze before the search gives up. */
  static final int WINDOWS_SEARCHED = 100;

  private static final Logger log = LoggerFactory.getLogger(ReadinessPlanning.class);

  private ReadinessPlanning() {}

  /** The measured workload with the planning figures; a rehearsal lookup that fails leaves an estimate, not a failure. */
  static WorkloadReport complete(WorkloadReport measured, MigrationPlan plan, long selectedBytes,
      Supplier<RehearsalRecord> latestRehearsal) {
    RehearsalRecord latest = null;
    String problem = null;
    try {
      latest = latestRehearsal.get();
    } catch (RuntimeException unreadable) {
      // The report says the forecast is an estimate and why; the sample is not wasted.
      problem = unreadable.getMessage();
      log.warn("rehearsals of {} not read for the assessment: {}", plan.name(), problem);
    }
    return complete(measured, plan.withDefaults(), selectedBytes, latest, problem, System.currentTimeMillis());
  }

  static WorkloadReport complete(WorkloadReport w, MigrationPlan plan, long selectedBytes, RehearsalRecord latest,
      String rehearsalProblem, long nowMillis) {
    long maxFreeze = DurationText.parse(plan.cutover().maxFreeze()).toMillis();
    DowntimeForecast forecast = forecast(w, plan, selectedBytes, latest, rehearsalProblem, maxFreeze);
    List<Finding> warnings = new ArrayList<>();
    if (forecast.freezeMillis() > maxFreeze) {
      warnings.add(new Finding(Severity.WARNING, "freeze_forecast", "cutover.maxFreeze", "the forecast write freeze of "
          + forecast.freezeMillis() + " ms exceeds maxFreeze (" + plan.cutover().maxFreeze() + "): the switchover"
          + " would release the freeze and try again; raise maxFreeze, lower cutover.maxLagBytes, or switch over"
          + " at a quieter time"));
    }
    if (!forecast.fromRehearsal()) {
      warnings.add(new Finding(Severity.WARNING, "no_rehearsal", "rehearsal", "the forecast is an estimate from a test"
          + " read; run a rehearsal of this plan (mode: rehearsal, against a scratch target) for figures measured"
          + " on this pair"));
    }
    long room = Math.max(maxFreeze, forecast.freezeMillis());
    return w.withPlanning(forecast, windows(plan), nextFitting(plan, nowMillis, room), warnings);
  }

  private static DowntimeForecast forecast(WorkloadReport w, MigrationPlan plan, long selectedBytes,
      RehearsalRecord latest, String rehearsalProblem, long maxFreeze) {
    double logPerMilli = w.sampleMillis() <= 0 ? 0 : (double) w.changeLogBytes() / w.sampleMillis();
    RehearsalResult r = latest == null || !"REHEARSED".equals(latest.outcome()) ? null : latest.result();
    if (r != null && r.copyMillis() > 0 && r.copiedBytes() > 0) {
      long copy = Math.round(r.copyMillis() * ((double) selectedBytes / r.copiedBytes()));
      // The rehearsal's drain (lag bytes over the time to catch up) is this pair's apply rate.
      double applyPerMilli = r.freezeForecastMillis() > 0 && r.lagBytes() > 0
          ? (double) r.lagBytes() / r.freezeForecastMillis() : (double) r.copiedBytes() / r.copyMillis();
      long catchUp = Math.round(logPerMilli * copy / applyPerMilli);
      return new DowntimeForecast(copy, catchUp, r.freezeForecastMillis(), maxFreeze, "rehearsal " + latest.workflowId()
          + " finished " + latest.finishedAt() + ": copied " + r.copiedBytes() + " bytes in " + r.copyMillis()
          + " ms (scaled to " + selectedBytes + " bytes now), freeze forecast " + r.forecastText(), true);
    }
    String why = rehearsalProblem != null ? "rehearsals could not be read (" + rehearsalProblem + ")"
        : latest == null ? "no rehearsal of " + plan.name() + " found"
        : "the latest rehearsal (" + latest.workflowId() + ") ended " + latest.outcome() + " without figures";
    if (w.readBytesPerSecond() <= 0) {
      return new DowntimeForecast(-1, -1, -1, maxFreeze, why + "; nothing to read, so no rate measured", false);
    }
    double perMilli = w.readBytesPerSecond() / 1000.0;
    long copy = Math.round(selectedBytes / perMilli);
    long catchUp = Math.round(logPerMilli * copy / perMilli);
    // At the switchover the lag is at most cutover.maxLagBytes; draining it at the measured rate is the freeze.
    long freeze = Math.round(plan.cutover().maxLagBytes() / perMilli);
    return new DowntimeForecast(copy, catchUp, freeze, maxFreeze, why + "; estimated from a test read of "
        + String.format(Locale.ROOT, "%.1f", w.readBytesPerSecond() / 1048576.0) + " MiB/s on the source, with the"
        + " target assumed as fast and the freeze draining at most cutover.maxLagBytes ("
        + plan.cutover().maxLagBytes() + " bytes)", false);
  }

  static List<String> windows(MigrationPlan plan) {
    return plan.maintenanceWindows().stream().map(MaintenanceWindow::describe).toList();
  }

  /** The first window from now with at least {@code room} left after it opens (or now, when open). */
  static String nextFitting(MigrationPlan plan, long nowMillis, long room) {
    if (plan.maintenanceWindows().isEmpty()) return "any time (the plan names no maintenance window)";
    long after = nowMillis;
    for (int i = 0; i < WINDOWS_SEARCHED; i++) {
      WindowOpening w = MaintenanceWindows.next(plan, after);
      if (w == null) break;
      long from = Math.max(w.startMillis(), nowMillis);
      if (w.endMillis() - from >= room) {
        return Instant.ofEpochMilli(from) + " to " + Instant.ofEpochMilli(w.endMillis())
            + (from == nowMillis ? " (open now)" : "");
      }
      after = w.endMillis() + 1;
    }
    return "none: no window left in the plan has " + room + " ms of room; add a longer or later window";
  }
}
