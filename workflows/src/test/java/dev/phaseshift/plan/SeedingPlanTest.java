package dev.phaseshift.plan;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.phaseshift.workflow.TestPlans;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The plan's seeding: its default and each rule the validator applies, with the message an operator reads. */
class SeedingPlanTest {
  static final String DATA = "/var/lib/postgresql/18/main";

  static MigrationPlan with(Seeding seeding, TableSelection tables, String targetUrl, String mode) {
    MigrationPlan p = TestPlans.plan("seeded", false);
    Endpoint target = targetUrl == null ? p.target() : new Endpoint(targetUrl, "migrator", null);
    return new MigrationPlan(p.name(), p.source(), target, tables, p.copyParallelism(), p.cutover(),
        p.approvalRequired(), p.retention(), p.requestedBy(), null, null, null, null, null, null, null, mode, null,
        null, null, null, null, null, seeding);
  }

  static MigrationPlan physical(Seeding seeding) {
    return with(seeding, null, null, null);
  }

  @Test
  void logicalIsTheDefaultAndAPhysicalPlanWithADataDirectoryIsValidAlsoAsARehearsal() {
    MigrationPlan plain = with(null, null, null, null);
    assertFalse(plain.seedingOrDefault().physical());
    assertEquals(Seeding.LOGICAL, plain.withDefaults().seeding().method());
    assertEquals(List.of(), PlanValidator.problems(plain));
    MigrationPlan seeded = physical(new Seeding("physical", DATA, null, null));
    assertEquals(List.of(), PlanValidator.problems(seeded));
    assertTrue(seeded.withDefaults().seedingOrDefault().physical());
    assertEquals(List.of(), PlanValidator.problems(with(new Seeding("physical", DATA, "db7-seeding",
        "/usr/lib/postgresql/18/bin"), TableSelection.all(), null, MigrationPlan.REHEARSAL)));
    assertEquals(List.of(), PlanValidator.problems(seeded.asRehearsal()), "a rehearsal's teardown removes the copy");
  }

  @Test
  void theMethodIsLogicalOrPhysical() {
    assertEquals(List.of("seeding.method: 'basebackup' must be logical (copy row by row into an existing server)"
        + " or physical (pg_basebackup + pg_createsubscriber into a new server on the target host)"),
        PlanValidator.problems(physical(new Seeding("basebackup", DATA, null, null))));
  }

  @Test
  void thePhysicalFieldsAreRefusedWithLogical() {
    assertEquals(List.of(
        "seeding.dataDirectory: used only by physical seeding; remove it or write seeding method physical",
        "seeding.taskQueue: used only by physical seeding; remove it or write seeding method physical",
        "seeding.binDirectory: used only by physical seeding; remove it or write seeding method physical"),
        PlanValidator.problems(physical(new Seeding(null, DATA, "q", "/usr/bin"))));
  }

  @Test
  void physicalNeedsAnAbsoluteDataDirectoryAndAbsoluteToolsAndAQueueName() {
    String dataDirectory = "seeding.dataDirectory: physical seeding needs the absolute path of the new server's data"
        + " directory on the target host, absent or empty, e.g. /var/lib/postgresql/18/main";
    assertEquals(List.of(dataDirectory), PlanValidator.problems(physical(new Seeding("physical", null, null, null))));
    assertEquals(List.of(dataDirectory,
        "seeding.binDirectory: give an absolute path on the target host, e.g. /usr/lib/postgresql/18/bin,"
            + " or leave it out to use the tools the target-host worker finds",
        "seeding.taskQueue: a queue name without blanks, the one the target-host worker serves"
            + " (phaseshift.seeding-queue), or leave it out for <worker queue>-seeding"),
        PlanValidator.problems(physical(new Seeding("physical", "pgdata", " ", "bin"))));
  }

  @Test
  void physicalMovesTheWholeDatabaseSoATableSelectionIsRefused() {
    String refused = "tables: physical seeding copies the whole database, so no table can be left out; remove"
        + " tables, or use seeding method logical to move a selection";
    Seeding seeding = new Seeding("physical", DATA, null, null);
    assertEquals(List.of(refused), PlanValidator.problems(
        with(seeding, new TableSelection(List.of("public.orders"), List.of()), null, null)));
    assertEquals(List.of(refused), PlanValidator.problems(
        with(seeding, new TableSelection(null, List.of("public.audit_*")), null, null)));
    assertEquals(List.of(), PlanValidator.problems(with(Seeding.logical(),
        new TableSelection(List.of("public.orders"), List.of()), null, null)), "logical seeding moves a selection");
  }

  @Test
  void physicalKeepsTheDatabaseNameAndNeedsANewServer() {
    Seeding seeding = new Seeding("physical", DATA, null, null);
    assertEquals(List.of("target.url: names database 'shop_new', but physical seeding keeps the source's names;"
        + " write .../shop in target.url, or use seeding method logical to move into another name"),
        PlanValidator.problems(with(seeding, null, "jdbc:postgresql://new-db:5432/shop_new", null)));
    assertEquals(List.of(), PlanValidator.problems(
        with(Seeding.logical(), null, "jdbc:postgresql://new-db:5432/shop_new", null)));
    assertEquals(List.of("target.url: physical seeding starts a new server on the target's host and port, but"
        + " old-db:5432 is the source's; point target.url at the new server's host and a free port"),
        PlanValidator.problems(with(seeding, null, "jdbc:postgresql://old-db:5432/shop?sslmode=require", null)));
  }
}
