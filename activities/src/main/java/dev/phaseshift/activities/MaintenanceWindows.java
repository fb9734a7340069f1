package dev.phaseshift.activities;

import com.cronutils.model.Cron;
import com.cronutils.model.CronType;
import com.cronutils.model.definition.CronDefinitionBuilder;
import com.cronutils.model.time.ExecutionTime;
import com.cronutils.parser.CronParser;
import dev.phaseshift.engine.MigrationException;
import dev.phaseshift.model.WindowOpening;
import dev.phaseshift.plan.DurationText;
import dev.phaseshift.plan.MaintenanceWindow;
import dev.phaseshift.plan.MigrationPlan;
import dev.phaseshift.workflow.FailureTypes;
import java.time.DateTimeException;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeParseException;
import java.util.List;
import java.util.Optional;

/**
 * Finds the maintenance window a switchover may use. Runs as an activity, not in workflow code,
 * because time zone rules and cron evaluation depend on the worker's libraries and would make
 * replay nondeterministic if they changed between versions.
 */
public final class MaintenanceWindows {
  private static final CronParser CRON = new CronParser(CronDefinitionBuilder.instanceDefinitionFor(CronType.UNIX));

  private MaintenanceWindows() {}

  /**
   * The window that contains {@code afterMillis}, or else the one that starts soonest after it.
   * When several windows contain it, the one that stays open longest wins, so the switchover gets
   * the most time.
   *
   * @return {@code null} when no window is open now or in the future (or none is configured)
   */
  public static WindowOpening next(MigrationPlan plan, long afterMillis) {
    List<MaintenanceWindow> windows = plan.maintenanceWindows();
    if (windows == null || windows.isEmpty()) return null;
    Instant now = Instant.ofEpochMilli(afterMillis);
    WindowOpening current = null;
    WindowOpening upcoming = null;
    for (int i = 0; i < windows.size(); i++) {
      WindowOpening slot = slot("maintenanceWindows[" + i + "]", windows.get(i), now);
      if (slot == null) continue;
      if (slot.startMillis() <= afterMillis) {
        if (current == null || slot.endMillis() > current.endMillis()) current = slot;
      } else if (upcoming == null || slot.startMillis() < upcoming.startMillis()
          || (slot.startMillis() == upcoming.startMillis() && slot.endMillis() > upcoming.endMillis())) {
        upcoming = slot;
      }
    }
    return current != null ? current : upcoming;
  }

  /** The window's occurrence that contains {@code now} or starts after it; {@code null} if none will. */
  private static WindowOpening slot(String field, MaintenanceWindow w, Instant now) {
    ZoneId zone = zone(field, w);
    if (w.cron() != null) return recurring(field, w, zone, now);
    if (w.start() != null && w.end() != null) {
      Instant start = localDateTime(field + ".start", w.start()).atZone(zone).toInstant();
      Instant end = localDateTime(field + ".end", w.end()).atZone(zone).toInstant();
      if (!end.isAfter(start)) {
        throw invalid(field + ": end " + w.end() + " is not after start " + w.start() + "; fix the window's end");
      }
      return end.isAfter(now) ? new WindowOpening(start.toEpochMilli(), end.toEpochMilli()) : null;
    }
    throw invalid(field + ": give either cron and duration (a recurring window) or start and end (one window)");
  }

  /**
   * The first start after {@code now - duration} is the answer in both cases: if it is not after
   * {@code now}, that occurrence is still open (it started less than one duration ago); otherwise
   * no occurrence is open and it is the next one.
   */
  private static WindowOpening recurring(String field, MaintenanceWindow w, ZoneId zone, Instant now) {
    Cron cron;
    try {
      cron = CRON.parse(w.cron().trim());
    } catch (IllegalArgumentException e) {
      throw invalid(field + ".cron: '" + w.cron() + "' is not a valid UNIX cron expression (" + e.getMessage()
          + "); write five fields, minute hour day-of-month month day-of-week, e.g. '0 2 * * SAT' for"
          + " Saturdays at 02:00");
    }
    Duration duration;
    try {
      duration = DurationText.parse(w.duration());
    } catch (IllegalArgumentException e) {
      throw invalid(field + ".duration: " + e.getMessage());
    }
    if (duration.isZero()) throw invalid(field + ".duration: a window must last longer than 0; write e.g. 2h");
    Optional<ZonedDateTime> start = ExecutionTime.forCron(cron).nextExecution(now.minus(duration).atZone(zone));
    return start.map(s -> new WindowOpening(s.toInstant().toEpochMilli(), s.toInstant().plus(duration).toEpochMilli()))
        .orElse(null);
  }

  private static ZoneId zone(String field, MaintenanceWindow w) {
    if (w.timeZone() == null || w.timeZone().isBlank()) return ZoneOffset.UTC;
    try {
      return ZoneId.of(w.timeZone().trim());
    } catch (DateTimeException e) {
      throw invalid(field + ".timeZone: '" + w.timeZone() + "' is not a time zone; write e.g. Europe/Berlin or UTC");
    }
  }

  private static LocalDateTime localDateTime(String field, String text) {
    try {
      return LocalDateTime.parse(text.trim());
    } catch (DateTimeParseException e) {
      throw invalid(field + ": '" + text + "' is not a local date-time; write e.g. 2026-12-05T02:00");
    }
  }

  private static MigrationException invalid(String message) {
    return new MigrationException(FailureTypes.INVALID_PLAN, message);
  }
}
