package dev.phaseshift.plan;

/**
 * When the switchover may happen: either recurring ({@code cron} with a {@code duration}) or once
 * ({@code start} and {@code end}, ISO-8601 local date-times), both in {@code timeZone} (default UTC).
 *
 * @param cron     five-field cron expression for the window's start, e.g. {@code 0 2 * * SAT}
 * @param duration how long each recurring window lasts, e.g. {@code 2h}
 */
public record MaintenanceWindow(String cron, String duration, String start, String end, String timeZone) {

  /** E.g. "every `0 2 * * SAT` for 2h (Europe/Berlin)" or "once, 2026-12-05T01:00 to 2026-12-05T04:00 (UTC)". */
  public String describe() {
    String zone = timeZone == null ? "UTC" : timeZone;
    return cron != null ? "every `" + cron + "` for " + duration + " (" + zone + ")"
        : "once, " + start + " to " + end + " (" + zone + ")";
  }
}
