package dev.phaseshift.engine.postgres;

import static dev.phaseshift.engine.postgres.PgTestSupport.exec;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.phaseshift.engine.MigrationException;
import dev.phaseshift.plan.MigrationPlan;
import dev.phaseshift.testing.PgPair;
import dev.phaseshift.workflow.FailureTypes;
import java.sql.Connection;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The switchover's last look before it freezes: a source that now receives its data through a
 * subscription (another migration switched away from it and streams back into it) is refused and
 * left writable; a plain primary passes.
 */
class PgPrimaryCheckTest extends PgPairTest {
  @BeforeEach
  void reset() throws Exception {
    pairs.resetDatabases();
    try (Connection s = pairs.source(); Connection t = pairs.target()) {
      exec(s, "CREATE TABLE orders (id int PRIMARY KEY)");
      exec(t, "CREATE TABLE orders (id int PRIMARY KEY)");
    }
  }

  @Test
  void aSourceThatIsFedByASubscriptionIsRefusedBeforeTheFreeze() throws Exception {
    MigrationPlan plan = pairs.plan("primary-check");
    try (PgSession s = PgSession.open(PgEndpoint.source(plan))) {
      PgPrimaryCheck.confirm(s, plan);
    }
    try (Connection t = pairs.target(); Connection s = pairs.source()) {
      exec(t, "CREATE PUBLICATION other_migration_reverse FOR TABLE orders");
      exec(s, "CREATE SUBSCRIPTION other_migration_reverse CONNECTION 'host=127.0.0.1 port=" + pairs.target.port()
          + " dbname=" + PgPair.DATABASE + " user=postgres' PUBLICATION other_migration_reverse");
    }
    try (PgSession s = PgSession.open(PgEndpoint.source(plan))) {
      MigrationException refused = assertThrows(MigrationException.class, () -> PgPrimaryCheck.confirm(s, plan));
      assertEquals(FailureTypes.PREREQUISITE, refused.type());
      assertTrue(refused.getMessage().contains("other_migration_reverse")
          && refused.getMessage().contains("nothing was frozen"), refused.getMessage());
    }
    try (Connection s = pairs.source()) {
      assertEquals("off", PgTestSupport.text(s, "SHOW default_transaction_read_only"), "the source stays writable");
    }
  }
}
