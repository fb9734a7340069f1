package dev.phaseshift.router;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.phaseshift.engine.MigrationException;
import dev.phaseshift.engine.postgres.PgEndpoint;
import dev.phaseshift.plan.Endpoint;
import dev.phaseshift.plan.MigrationPlan;
import dev.phaseshift.workflow.FailureTypes;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** The ini rewrite, on text: the cases a test PgBouncer does not produce. */
class PgBouncerIniTest {
  private static final PgEndpoint TARGET = PgEndpoint.target(new MigrationPlan("shop",
      new Endpoint("jdbc:postgresql://old-db:5432/shop", "migrator", null),
      new Endpoint("jdbc:postgresql://new-db.internal:6543/shop_v2?sslmode=require", "migrator", null),
      null, null, null, null, null, null));
  private static final Path FILE = Path.of("/etc/pgbouncer/pgbouncer.ini");

  @Test
  void rewritesOnlyTheEntryKeepingItsOptionsAndLineEndings() {
    String ini = "[databases]\r\n"
        + "; shop = host=commented-out\r\n"
        + "shopping = host=old-db dbname=shopping\r\n"
        + "  shop =  host=old-db port=5432 dbname=shop user=app password='it''s' pool_size=20 ; main entry\r\n"
        + "\r\n"
        + "[pgbouncer]\r\n"
        + "shop = not-a-database\r\n"
        + "listen_port = 6432";
    String out = DatabaseEntryRewrite.pointAt(ini, "shop", TARGET, FILE);
    assertEquals("[databases]\r\n"
        + "; shop = host=commented-out\r\n"
        + "shopping = host=old-db dbname=shopping\r\n"
        + "  shop =  host=new-db.internal port=6543 dbname=shop_v2 user=app password='it''s' pool_size=20"
        + " ; main entry\r\n"
        + "\r\n"
        + "[pgbouncer]\r\n"
        + "shop = not-a-database\r\n"
        + "listen_port = 6432", out);
    assertEquals(out, DatabaseEntryRewrite.pointAt(out, "shop", TARGET, FILE), "rewriting again changes nothing");
  }

  @Test
  void addsConnectionOptionsTheEntryLacksAndDropsHostaddr() {
    String out = DatabaseEntryRewrite.pointAt("[databases]\n\"shop\" = hostaddr=10.0.0.5 auth_user=pgb\n", "shop", TARGET, FILE);
    assertEquals("[databases]\n\"shop\" = host=new-db.internal port=6543 dbname=shop_v2 auth_user=pgb\n", out);
  }

  @Test
  void aMissingEntryIsAPrerequisite() {
    MigrationException e = assertThrows(MigrationException.class,
        () -> DatabaseEntryRewrite.pointAt("[databases]\nother = host=x\n[pgbouncer]\nshop = x\n", "shop", TARGET, FILE));
    assertEquals(FailureTypes.PREREQUISITE, e.type());
    assertTrue(e.getMessage().contains("no entry 'shop' in the [databases] section of " + FILE), e.getMessage());
  }
}
