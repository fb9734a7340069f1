package dev.phaseshift.activities;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.phaseshift.engine.MigrationException;
import dev.phaseshift.model.WindowOpening;
import dev.phaseshift.plan.MaintenanceWindow;
import dev.phaseshift.plan.MigrationPlan;
import dev.phaseshift.workflow.FailureTypes;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

class MaintenanceWindowsTest {
  private static final MaintenanceWindow SATURDAY_NIGHTS =
      new MaintenanceWindow("0 2 * * SAT", "2h", null, null, "Europe/Berlin");

  private static MigrationPlan plan(MaintenanceWindow... windows) {
    return new MigrationPlan("shop", null, null, null, null, null, null, null, null, null, List.of(windows), null,
        null, null, null, null);
  }

  private static long at(String instant) {
    return Instant.parse(instant).toEpochMilli();
  }

  private static WindowOpening slot(String start, String end) {
    return new WindowOpening(at(start), at(end));
  }

  @Test
  void beforeARecurringWindowGivesTheNextOne() {
    // Wednesday 2026-03-18, Berlin on winter time (UTC+1): Saturday 02:00 is 01:00 UTC.
    assertEquals(slot("2026-03-21T01:00:00Z", "2026-03-21T03:00:00Z"),
        MaintenanceWindows.next(plan(SATURDAY_NIGHTS), at("2026-03-18T12:00:00Z")));
    // After the switch to summer time (UTC+2) on 2026-03-29 the same local hour is 00:00 UTC.
    assertEquals(slot("2026-04-04T00:00:00Z", "2026-04-04T02:00:00Z"),
        MaintenanceWindows.next(plan(SATURDAY_NIGHTS), at("2026-03-30T08:00:00Z")));
  }

  @Test
  void insideARecurringWindowGivesTheCurrentOne() {
    WindowOpening expected = slot("2026-03-21T01:00:00Z", "2026-03-21T03:00:00Z");
    assertEquals(expected, MaintenanceWindows.next(plan(SATURDAY_NIGHTS), at("2026-03-21T01:00:00Z")), "at its start");
    assertEquals(expected, MaintenanceWindows.next(plan(SATURDAY_NIGHTS), at("2026-03-21T02:59:59.999Z")),
        "a moment before its end");
    assertEquals(slot("2026-03-28T01:00:00Z", "2026-03-28T03:00:00Z"),
        MaintenanceWindows.next(plan(SATURDAY_NIGHTS), at("2026-03-21T03:00:00Z")), "its end is not inside");
  }

  @Test
  void oneOffWindowsInTheirTimeZone() {
    MaintenanceWindow once = new MaintenanceWindow(null, null, "2026-12-05T02:00", "2026-12-05T04:30", "America/New_York");
    MaintenanceWindow utc = new MaintenanceWindow(null, null, "2026-12-01T22:00", "2026-12-01T23:00", null);
    WindowOpening newYork = slot("2026-12-05T07:00:00Z", "2026-12-05T09:30:00Z");
    assertEquals(slot("2026-12-01T22:00:00Z", "2026-12-01T23:00:00Z"),
        MaintenanceWindows.next(plan(once, utc), at("2026-11-01T00:00:00Z")), "the earliest future window, UTC by default");
    assertEquals(newYork, MaintenanceWindows.next(plan(once, utc), at("2026-12-02T00:00:00Z")));
    assertEquals(newYork, MaintenanceWindows.next(plan(once, utc), at("2026-12-05T08:00:00Z")), "inside it");
  }

  @Test
  void theOpenWindowWinsOverAnEarlierStartingFutureOne() {
    MaintenanceWindow open = new MaintenanceWindow(null, null, "2026-06-01T00:00", "2026-06-01T06:00", "UTC");
    WindowOpening slot = MaintenanceWindows.next(plan(SATURDAY_NIGHTS, open), at("2026-06-01T05:00:00Z"));
    assertEquals(slot("2026-06-01T00:00:00Z", "2026-06-01T06:00:00Z"), slot);
    assertTrue(slot.startMillis() <= at("2026-06-01T05:00:00Z") && at("2026-06-01T05:00:00Z") < slot.endMillis());
  }

  @Test
  void onlyPastWindowsOrNoneGiveNull() {
    MaintenanceWindow past = new MaintenanceWindow(null, null, "2020-01-04T02:00", "2020-01-04T04:00", "Europe/Berlin");
    assertNull(MaintenanceWindows.next(plan(past), at("2026-01-01T00:00:00Z")));
    assertNull(MaintenanceWindows.next(plan(), at("2026-01-01T00:00:00Z")));
    // February 30th never comes.
    assertNull(MaintenanceWindows.next(plan(new MaintenanceWindow("0 2 30 2 *", "1h", null, null, null)),
        at("2026-01-01T00:00:00Z")));
  }

  @Test
  void invalidCronIsAnInvalidPlanSayingHowToFixIt() {
    MigrationException e = assertThrows(MigrationException.class, () -> MaintenanceWindows.next(
        plan(SATURDAY_NIGHTS, new MaintenanceWindow("0 25 * * SAT", "2h", null, null, "UTC")), at("2026-01-01T00:00:00Z")));
    assertEquals(FailureTypes.INVALID_PLAN, e.type());
    assertTrue(e.getMessage().startsWith("maintenanceWindows[1].cron: '0 25 * * SAT'"), e.getMessage());
    assertTrue(e.getMessage().contains("minute hour day-of-month month day-of-week"), e.getMessage());

    MigrationException fields = assertThrows(MigrationException.class, () -> MaintenanceWindows.next(
        plan(new MaintenanceWindow("0 2 * *", "2h", null, null, null)), at("2026-01-01T00:00:00Z")));
    assertEquals(FailureTypes.INVALID_PLAN, fields.type());

    MigrationException zone = assertThrows(MigrationException.class, () -> MaintenanceWindows.next(
        plan(new MaintenanceWindow("0 2 * * SAT", "2h", null, null, "Mars/Olympus")), at("2026-01-01T00:00:00Z")));
    assertEquals(FailureTypes.INVALID_PLAN, zone.type());
    assertTrue(zone.getMessage().contains("timeZone"), zone.getMessage());
  }
}
