package dev.phaseshift.engine.postgres;

import static dev.phaseshift.engine.postgres.ClientAccessTesting.client;
import static dev.phaseshift.engine.postgres.ClientAccessTesting.hba;
import static dev.phaseshift.engine.postgres.PgTestSupport.exec;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.phaseshift.model.Assessment;
import dev.phaseshift.model.ClientAccess;
import dev.phaseshift.model.ClientAdmission;
import dev.phaseshift.model.Finding;
import dev.phaseshift.model.Severity;
import dev.phaseshift.plan.MigrationPlan;
import dev.phaseshift.plan.RetiredClient;
import dev.phaseshift.testing.PgPair;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The target's access control checked against the clients the source saw, on real servers whose
 * pg_hba.conf differ: the source admits all of 127.0.0.0/8, the target only 127.0.0.1.
 */
class PgClientAccessTest {
  static final String[] TARGET_HBA = {"local all all trust", "host all all 127.0.0.1/32 trust",
      "host replication all 127.0.0.1/32 trust"};
  static PgPair pair;
  static PgInspector inspector;

  @BeforeAll
  static void start() throws Exception {
    pair = new PgPair();
    inspector = new PgInspector(PgTools.detect());
    hba(pair.source, "local all all trust", "host all all 127.0.0.0/8 trust", "host replication all 127.0.0.0/8 trust");
    hba(pair.target, TARGET_HBA);
    try (Connection s = pair.source(); Connection t = pair.target()) {
      exec(s, "CREATE ROLE app LOGIN", "CREATE ROLE reporting LOGIN");
      exec(t, "CREATE ROLE app LOGIN");
    }
  }

  @AfterAll
  static void stop() {
    if (pair != null) pair.close();
  }

  @Test
  void aClientFromAnAddressTheTargetRefusesBlocksWithTheRuleToAddUntilRetiredOrAdmitted() throws Exception {
    MigrationPlan plan = pair.plan("access-hba");
    String line = "host app app 127.0.0.2/32 trust";
    try (Connection billing = client(pair.source, PgPair.DATABASE, "app", "", "127.0.0.2", "billing")) {
      // What the check must find: the target really refuses this client today.
      assertThrows(SQLException.class, () -> client(pair.target, PgPair.DATABASE, "app", "", "127.0.0.2", "billing"));
      ClientAccess access = inspector.clientAccess(plan);
      assertTrue(access.blocked());
      assertTrue(access.blockers().stream().anyMatch(b -> b.contains("add to the target's pg_hba.conf: " + line)),
          access.blockers().toString());
      ClientAdmission billingSeen = from(access, "127.0.0.2");
      assertFalse(billingSeen.admitted());
      assertEquals("billing", billingSeen.client().applicationName());
      assertEquals("app", billingSeen.client().user());
      assertFalse(billingSeen.client().encrypted());
      assertTrue(access.summary().contains(line), access.summary());
    }
    // Gone from the source, but seen during the migration: still checked.
    assertTrue(inspector.clientAccess(plan).blocked());

    MigrationPlan retiring = ClientAccessTesting.with(plan,
        List.of(new RetiredClient(null, "127.0.0.0/24", "billing", "billing moves off this database")), null);
    ClientAccess retired = inspector.clientAccess(retiring);
    assertFalse(retired.blocked(), retired.blockers().toString());
    assertTrue(from(retired, "127.0.0.2").retired());

    // The line the check asked for is what the target needs: added, the client gets in.
    String[] fixed = java.util.Arrays.copyOf(TARGET_HBA, TARGET_HBA.length + 1);
    fixed[TARGET_HBA.length] = line;
    hba(pair.target, fixed);
    try {
      try (Connection c = client(pair.target, PgPair.DATABASE, "app", "", "127.0.0.2", "billing")) {
        assertTrue(c.isValid(2));
      }
      ClientAccess admitted = inspector.clientAccess(plan);
      assertFalse(admitted.blocked(), admitted.blockers().toString());
      assertTrue(from(admitted, "127.0.0.2").verdict().startsWith("admitted by pg_hba.conf line 4"),
          from(admitted, "127.0.0.2").verdict());
    } finally {
      hba(pair.target, TARGET_HBA);
    }
  }

  @Test
  void aRoleMissingOnTheTargetOrAConnectionLimitBelowThePeakBlocks() throws Exception {
    MigrationPlan plan = pair.plan("access-roles");
    try (Connection t = pair.target()) {
      exec(t, "ALTER ROLE app CONNECTION LIMIT 1");
    }
    try (Connection a = client(pair.source, PgPair.DATABASE, "app", "", "127.0.0.1", "shop");
        Connection b = client(pair.source, PgPair.DATABASE, "app", "", "127.0.0.1", "shop");
        Connection r = client(pair.source, PgPair.DATABASE, "reporting", "", "127.0.0.1", "reports")) {
      ClientAccess access = inspector.clientAccess(plan);
      assertTrue(access.blockers().stream().anyMatch(x -> x.contains("role reporting does not exist on the target")),
          access.blockers().toString());
      assertTrue(access.blockers().stream().anyMatch(x -> x.contains("ALTER ROLE \"app\" CONNECTION LIMIT 2")),
          access.blockers().toString());
    } finally {
      try (Connection t = pair.target()) {
        exec(t, "ALTER ROLE app CONNECTION LIMIT -1");
      }
    }
  }

  @Test
  void prepareWarnsOfTheMissingRuleWithoutWritingAnything() throws Exception {
    MigrationPlan plan = pair.plan("access-prepare");
    try (Connection billing = client(pair.source, PgPair.DATABASE, "app", "", "127.0.0.2", "billing")) {
      Assessment assessment = inspector.assess(plan);
      Finding gap = assessment.findings().stream().filter(f -> f.code().equals("client_access")).findFirst()
          .orElseThrow(() -> new AssertionError(assessment.findings().toString()));
      assertEquals(Severity.WARNING, gap.severity());
      assertTrue(gap.message().contains("host app app 127.0.0.2/32 trust"), gap.message());
      assertTrue(assessment.findings().stream().anyMatch(f -> f.code().equals("subscription_auth")
          && f.message().startsWith("the subscriptions store the other server's password")), assessment.findings().toString());
    }
    try (Connection t = pair.target()) {
      assertEquals(0, PgTestSupport.count(t, "SELECT count(*) FROM pg_namespace WHERE nspname = 'phaseshift'"
          + " AND EXISTS (SELECT 1 FROM pg_class WHERE relname = 'clients_seen' AND relnamespace = pg_namespace.oid"
          + " AND EXISTS (SELECT 1 FROM phaseshift.clients_seen WHERE migration = 'access-prepare'))"));
    }
  }

  private static ClientAdmission from(ClientAccess access, String address) {
    return access.clients().stream().filter(a -> a.client().address().equals(address)).findFirst()
        .orElseThrow(() -> new AssertionError("no client from " + address + " in " + access.clients()));
  }
}
