package dev.phaseshift.engine.postgres;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.phaseshift.engine.MigrationException;
import dev.phaseshift.workflow.FailureTypes;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The client tools for a migration are as new as the newer server, and a refusal names that server. */
class PgToolsChoiceTest {
  private static PgTools.Installation installation(int major) {
    return new PgTools.Installation(Path.of("/opt/pg" + major + "/bin/pg_dump"), Path.of("/opt/pg" + major + "/bin/psql"),
        major, "pg_dump (PostgreSQL) " + major + ".1");
  }

  private final PgTools fifteenAndSeventeen = new PgTools(List.of(installation(15), installation(17)));

  @Test
  void takesTheNewestWhenItCoversBothServers() {
    assertEquals(17, fifteenAndSeventeen.forServers(130022, 150018).major());
    assertEquals(17, fifteenAndSeventeen.forServers(150018, 170006).major());
  }

  @Test
  void aTargetNewerThanEveryToolIsNamedAsTheTarget() {
    MigrationException e = assertThrows(MigrationException.class,
        () -> new PgTools(List.of(installation(15))).forServers(150018, 170006));
    assertEquals(FailureTypes.PREREQUISITE, e.type());
    assertTrue(e.getMessage().startsWith("pg_dump 15 found, target runs PostgreSQL 17 (source 15);"
        + " install postgresql-client-17 on the worker"), e.getMessage());
    assertTrue(e.getMessage().contains(PgTools.BIN_ENV) && e.getMessage().contains("embedded-postgres"), e.getMessage());
  }

  @Test
  void aSourceNewerThanEveryToolIsNamedAsTheSource() {
    MigrationException e = assertThrows(MigrationException.class, () -> fifteenAndSeventeen.forServers(180001, 180001));
    assertTrue(e.getMessage().startsWith("pg_dump 17 found, source runs PostgreSQL 18;"), e.getMessage());
  }
}
