package dev.phaseshift.engine.postgres;

import static dev.phaseshift.engine.postgres.PgTestSupport.exec;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.phaseshift.model.Assessment;
import dev.phaseshift.model.Finding;
import dev.phaseshift.plan.Endpoint;
import dev.phaseshift.plan.MigrationPlan;
import dev.phaseshift.testing.PgPair;
import java.sql.Connection;
import java.util.List;
import java.util.TreeSet;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * PREPARE against a real non-superuser role: every privilege the migration will need and the role
 * lacks is a blocker naming the statement that grants it, and running exactly those statements
 * clears them, except what PostgreSQL 15 reserves for superusers (creating a subscription).
 */
class PgPrivilegesTest extends PgPairTest {
  private static final String ROLE = "migrator_priv";
  private static final String QUOTED = "\"migrator_priv\"";

  @BeforeEach
  void reset() throws Exception {
    pairs.resetDatabases();
    for (Connection c : new Connection[] {pairs.source(), pairs.target()}) {
      try (c) {
        exec(c, "DROP ROLE IF EXISTS " + ROLE, "DROP ROLE IF EXISTS shop_owner",
            "CREATE ROLE " + ROLE + " LOGIN", "CREATE ROLE shop_owner");
      }
    }
    try (Connection s = pairs.source()) {
      exec(s, "CREATE SCHEMA sales",
          "CREATE TABLE sales.orders (id bigserial PRIMARY KEY, total numeric)",
          "CREATE TABLE customers (id bigserial PRIMARY KEY, name text)",
          "ALTER TABLE sales.orders OWNER TO shop_owner",
          "GRANT USAGE ON SCHEMA sales TO shop_owner");
    }
    try (Connection t = pairs.target()) {
      // As PostgreSQL 15 ships it: nobody but the owner creates in public.
      exec(t, "REVOKE CREATE ON SCHEMA public FROM PUBLIC");
    }
  }

  private static MigrationPlan asRole() {
    MigrationPlan p = pairs.plan("privileges");
    return new MigrationPlan(p.name(), as(p.source()), as(p.target()), p.tables(), p.copyParallelism(), p.cutover(),
        p.approvalRequired(), p.retention(), p.requestedBy()).withDefaults();
  }

  private static Endpoint as(Endpoint e) {
    return new Endpoint(e.url(), ROLE, null);
  }

  private static List<Finding> privilegeBlockers(Assessment a) {
    return a.blockers().stream().filter(f -> f.code().equals(PgPrivileges.CODE)).toList();
  }

  /** The statement a blocker tells the administrator to run on that side, or null for the other side. */
  private static String statement(Finding f, String side) {
    String marker = "; run on the " + side + ": ";
    int at = f.message().indexOf(marker);
    return at < 0 ? null : f.message().substring(at + marker.length());
  }

  @Test
  void aRoleWithoutPrivilegesIsStoppedInPrepareWithTheGrantsToRun() throws Exception {
    Assessment before = new PgInspector(tools).assess(asRole());
    List<Finding> blockers = privilegeBlockers(before);
    TreeSet<String> source = new TreeSet<>();
    TreeSet<String> target = new TreeSet<>();
    for (Finding f : blockers) {
      if (statement(f, "source") != null) source.add(statement(f, "source"));
      if (statement(f, "target") != null) target.add(statement(f, "target"));
    }
    assertEquals(new TreeSet<>(List.of(
        "ALTER ROLE " + QUOTED + " REPLICATION",
        "GRANT CREATE ON DATABASE \"app\" TO " + QUOTED,
        "GRANT \"postgres\" TO " + QUOTED,
        "GRANT pg_signal_backend TO " + QUOTED,
        "ALTER ROLE " + QUOTED + " SUPERUSER",
        "GRANT USAGE ON SCHEMA \"sales\" TO " + QUOTED,
        "GRANT SELECT ON \"public\".\"customers\" TO " + QUOTED,
        "GRANT SELECT ON \"sales\".\"orders\" TO " + QUOTED,
        "GRANT SELECT ON \"public\".\"customers_id_seq\" TO " + QUOTED,
        "GRANT SELECT ON \"sales\".\"orders_id_seq\" TO " + QUOTED,
        "GRANT \"shop_owner\" TO " + QUOTED)), source, blockers.toString());
    assertEquals(new TreeSet<>(List.of(
        "GRANT CREATE ON DATABASE \"app\" TO " + QUOTED,
        "GRANT CREATE ON SCHEMA \"public\" TO " + QUOTED,
        "ALTER ROLE " + QUOTED + " SUPERUSER",
        "GRANT \"postgres\" TO " + QUOTED,
        // Giving sales.orders back to its owner after the schema copy.
        "GRANT \"shop_owner\" TO " + QUOTED,
        "ALTER ROLE " + QUOTED + " REPLICATION")), target, blockers.toString());

    // An administrator runs exactly what was asked for, but keeps the role from being a superuser.
    try (Connection s = pairs.source(); Connection t = pairs.target()) {
      for (String sql : source) if (!sql.endsWith("SUPERUSER") && !sql.startsWith("GRANT \"postgres\"")) exec(s, sql);
      for (String sql : target) if (!sql.endsWith("SUPERUSER") && !sql.startsWith("GRANT \"postgres\"")) exec(t, sql);
    }
    List<Finding> after = privilegeBlockers(new PgInspector(tools).assess(asRole()));
    // Superuser on each side, ownership of each database, and (target) of postgres' objects.
    assertEquals(6, after.size(), after.toString());
    assertTrue(after.stream().allMatch(f -> f.message().endsWith(" SUPERUSER") || f.message().contains("GRANT \"postgres\"")),
        "only the superuser-only steps remain: " + after);
  }

  @Test
  void aSuperuserHasNoPrivilegeBlockers() {
    assertEquals(List.of(), privilegeBlockers(new PgInspector(tools).assess(pairs.plan("privileged"))));
  }
}
