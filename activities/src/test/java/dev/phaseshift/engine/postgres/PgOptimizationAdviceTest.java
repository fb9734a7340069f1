package dev.phaseshift.engine.postgres;

import static dev.phaseshift.engine.postgres.PgTestSupport.exec;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.phaseshift.model.OptimizationAdvice;
import dev.phaseshift.model.SettingDifference;
import dev.phaseshift.model.SlowerStatement;
import dev.phaseshift.model.TableFreeze;
import dev.phaseshift.plan.MigrationPlan;
import dev.phaseshift.plan.OptimizePolicy;
import dev.phaseshift.testing.PgPair;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * OPTIMIZE's advice on real servers with pg_stat_statements on both: a copied table whose lookup
 * index was not built on the target (slower there, both plans shown), an index the source never
 * used, a setting changed on the target, and the freeze lowering the copied table's age.
 */
class PgOptimizationAdviceTest {
  static final String LOOKUP = "SELECT amount FROM orders WHERE ref = $1";
  static PgPair pairs;

  @BeforeAll
  static void servers() throws Exception {
    pairs = PgPair.with(Map.of("shared_preload_libraries", "pg_stat_statements"));
    try (Connection s = pairs.source(); Connection t = pairs.target()) {
      for (Connection c : List.of(s, t)) {
        exec(c, "CREATE TABLE orders (id bigserial PRIMARY KEY, ref text NOT NULL, amount int, note text)",
            "CREATE INDEX orders_ref ON orders (ref)", "CREATE INDEX orders_note ON orders (note)",
            "CREATE EXTENSION pg_stat_statements");
      }
      exec(s, "INSERT INTO orders (ref, amount, note) SELECT 'r-' || g, g, 'n' FROM generate_series(1, 100000) g",
          "ANALYZE orders");
    }
    PgTestSupport.replicate(pairs, pairs.plan("advice"), List.of("orders"));
    try (Connection s = pairs.source(); Connection t = pairs.target()) {
      // The planted regression: the lookup's index is missing on the new primary.
      exec(t, "DROP INDEX orders_ref", "ANALYZE orders",
          "ALTER SYSTEM SET random_page_cost = 1.1", "SELECT pg_reload_conf()");
      for (Connection c : List.of(s, t)) {
        exec(c, "SELECT pg_stat_statements_reset()");
        try (PreparedStatement ps = c.prepareStatement("SELECT amount FROM orders WHERE ref = ?")) {
          for (int i = 0; i < 200; i++) {
            ps.setString(1, "r-" + (i * 37 + 1));
            ps.executeQuery().close();
          }
        }
      }
      // Transactions on the target age its copied table, as the application's would.
      for (int i = 0; i < 500; i++) exec(t, "SELECT txid_current()");
    }
  }

  @AfterAll
  static void stopServers() throws Exception {
    if (pairs == null) return;
    try (Connection t = pairs.target()) {
      exec(t, "ALTER SYSTEM RESET random_page_cost", "SELECT pg_reload_conf()");
    }
    pairs.close();
  }

  @Test
  void listsTheSlowerStatementWithBothPlansTheUnusedIndexTheChangedSettingAndFreezes() throws Exception {
    MigrationPlan plan = pairs.plan("advice");
    OptimizationAdvice notFrozen = new PgOptimizationAdvice().advise(plan);
    assertTrue(notFrozen.freezeDebtBytes() > 0, "the copied rows still need freezing: " + notFrozen);

    OptimizationAdvice advice = new PgOptimizationAdvice().advise(plan.withOptimize(new OptimizePolicy(true)));
    System.out.println("advice: " + advice);

    SlowerStatement slower = advice.slowerStatements().stream().filter(st -> st.query().equals(LOOKUP)).findFirst()
        .orElseThrow(() -> new AssertionError("no slower lookup in " + advice.slowerStatements()));
    assertTrue(slower.ratio() > 5, slower.toString());
    assertNotNull(slower.sourcePlan(), slower.planNote());
    assertTrue(slower.sourcePlan().contains("orders_ref"), "the source's plan uses the index: " + slower.sourcePlan());
    assertTrue(slower.targetPlan().contains("Seq Scan on orders"), "the target scans the table: " + slower.targetPlan());

    assertEquals(List.of("public.orders_note"), advice.unusedIndexes().stream().map(i -> i.index()).toList());
    assertTrue(advice.unusedIndexes().get(0).bytesOnTarget() > 0);

    SettingDifference cost = advice.settings().stream().filter(d -> d.name().equals("random_page_cost")).findFirst()
        .orElseThrow(() -> new AssertionError("random_page_cost not listed: " + advice.settings()));
    assertEquals("4", cost.source());
    assertEquals("1.1", cost.target());

    assertTrue(advice.frozen());
    assertEquals(0, advice.freezeDebtBytes());
    TableFreeze orders = advice.tables().get(0);
    assertEquals("public.orders", orders.table());
    assertTrue(orders.ageBefore() >= 500, orders.toString());
    assertTrue(orders.ageAfter() < orders.ageBefore(), "freezing lowers age(relfrozenxid): " + orders);
    assertEquals(List.of(), advice.tablesWithoutStatistics());
    assertEquals(List.of(), advice.notes());
  }
}
