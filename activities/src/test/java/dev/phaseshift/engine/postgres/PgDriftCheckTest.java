package dev.phaseshift.engine.postgres;

import static dev.phaseshift.engine.postgres.PgTestSupport.exec;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.phaseshift.engine.MigrationException;
import dev.phaseshift.model.ValidationResult;
import dev.phaseshift.plan.MigrationPlan;
import dev.phaseshift.workflow.FailureTypes;
import java.sql.Connection;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Drift checks across the migration's life on real servers: through the forward stream before the
 * switchover, through the reverse stream after it (finding a difference planted on the old
 * database), and a refusal that says why once no stream runs any more.
 */
class PgDriftCheckTest extends PgPairTest {
  @BeforeEach
  void setUp() throws Exception {
    pairs.resetDatabases();
    try (Connection s = pairs.source()) {
      exec(s, "CREATE TABLE orders (id bigserial PRIMARY KEY, ref text NOT NULL, amount numeric(12,2))",
          "INSERT INTO orders (ref, amount) SELECT 'seed-' || g, g FROM generate_series(1, 1000) g");
    }
  }

  private static MigrationPlan replicated(String name) throws Exception {
    MigrationPlan plan = pairs.plan(name);
    PgSchemaCopier copier = new PgSchemaCopier(tools);
    copier.createTables(plan);
    copier.createIndexesAndConstraints(plan);
    PgTestSupport.replicate(pairs, plan, List.of("orders"));
    return plan;
  }

  @Test
  void beforeTheSwitchoverTheForwardStreamIsComparedThrough() throws Exception {
    MigrationPlan plan = replicated("drift-forward");
    PgValidator validator = new PgValidator(tools);
    assertEquals(0, validator.checkDrift(plan).mismatches());

    try (Connection t = pairs.target()) {
      exec(t, "UPDATE orders SET amount = amount + 1 WHERE id = 7");
    }
    assertEquals(1, validator.checkDrift(plan).mismatches(), "a row changed on the target alone is drift");
  }

  @Test
  void afterTheSwitchoverTheReverseStreamIsComparedThroughThenTheCheckSaysItIsOver() throws Exception {
    MigrationPlan plan = replicated("drift-reverse");
    PgCutover cutover = new PgCutover(tools);
    PgValidator validator = new PgValidator(tools);
    cutover.switchover(plan);
    cutover.startReverseReplication(plan);
    try (Connection t = pairs.target()) {
      exec(t, "INSERT INTO orders (ref, amount) VALUES ('after-switchover', 1)");
    }

    ValidationResult clean = validator.checkDrift(plan);
    assertEquals(0, clean.mismatches(), "the write on the new primary reached the old database: " + clean);

    try (Connection s = pairs.source()) {
      // The old database is read-only for new sessions; someone writing to it anyway is drift.
      exec(s, "SET default_transaction_read_only = off", "DELETE FROM orders WHERE id = 9");
    }
    assertEquals(1, validator.checkDrift(plan).mismatches(), "a row removed from the old database is drift");

    cutover.decommission(plan);
    MigrationException over = assertThrows(MigrationException.class, () -> validator.checkDrift(plan));
    assertEquals(FailureTypes.PREREQUISITE, over.type());
    assertTrue(over.getMessage().contains("decommissioned") && over.getMessage().contains("schedule delete drift-check-"),
        over.getMessage());
    assertTrue(!over.getMessage().contains("start the change stream again"), over.getMessage());
  }
}
