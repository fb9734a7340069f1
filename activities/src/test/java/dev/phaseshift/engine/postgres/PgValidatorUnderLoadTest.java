package dev.phaseshift.engine.postgres;

import static dev.phaseshift.engine.postgres.PgTestSupport.exec;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.phaseshift.model.ChunkDifference;
import dev.phaseshift.model.TableValidation;
import dev.phaseshift.model.ValidationResult;
import dev.phaseshift.plan.MigrationPlan;
import dev.phaseshift.testing.PgPair;
import dev.phaseshift.testing.ShopLoad;
import java.math.BigInteger;
import java.sql.Connection;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * Validation while the shop application runs on the source at ~150 transactions a second: every
 * transaction writes several tables, in varying orders, behind deferred foreign keys. The
 * application must not see a single failure (it did, with deadlocks, while validation locked the
 * tables), and differences planted on the target must still be found, in their key ranges.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class PgValidatorUnderLoadTest {
  static final List<String> TABLES =
      List.of("shop.customers", "shop.products", "shop.orders", "shop.order_lines", "shop.payments");
  static PgPair pairs;
  static PgTools tools;
  static MigrationPlan plan;
  static PgValidator validator;

  @BeforeAll
  static void start() throws Exception {
    pairs = new PgPair();
    tools = PgTools.detect();
    plan = pairs.plan("under-load");
    try (Connection s = pairs.source()) {
      ShopLoad.createSchema(s);
    }
    PgSchemaCopier copier = new PgSchemaCopier(tools);
    copier.createTables(plan);
    copier.createIndexesAndConstraints(plan);
    PgTestSupport.replicate(pairs, plan, TABLES);
    // Small ranges: every table is compared in several, so a difference is pinned to one of them.
    validator = new PgValidator(tools, Duration.ofSeconds(30), 16 * 1024);
  }

  @AfterAll
  static void stop() {
    if (pairs != null) pairs.close();
  }

  @Test
  @Order(1)
  void fiveValidationsInARowPassWhileTheApplicationSeesNoFailure() throws Exception {
    List<ValidationResult> results = new ArrayList<>();
    ShopLoad.Result load;
    try (ShopLoad shop = ShopLoad.start(pairs.source.port(), PgPair.DATABASE, 25)) {
      Thread.sleep(2_000);
      for (int i = 0; i < 5; i++) results.add(validator.validate(plan));
      assertTrue(shop.running(), "the application ran through all five validations");
      load = shop.finish();
    }
    assertTrue(load.clean(), "the application saw failures:\n" + load.output());
    assertTrue(load.processed() > 25 * 150 / 2, load.output());
    for (ValidationResult r : results) {
      assertTrue(r.passed(), r.toString());
      assertEquals(TABLES.size(), r.tableCount());
      assertEquals(List.of(), r.schemaDifferences());
      for (TableValidation t : r.tables()) {
        assertTrue(t.match(), t.toString());
        assertEquals(t.sourceChecksum(), t.targetChecksum(), t.toString());
      }
    }
    // The application changed rows in every validation: they were left out and compared again.
    TableValidation customers = table(results.get(4), "shop.customers");
    assertTrue(customers.sourceRows() >= 10_000, customers.toString());
  }

  @Test
  @Order(2)
  void differencesPlantedOnTheTargetUnderLoadAreFoundInTheirRanges() throws Exception {
    long deletedCustomer;
    try (Connection t = pairs.target()) {
      // Rows the application does not touch any more: the old seeded orders, a customer without
      // orders, a product number the application never uses.
      exec(t, "UPDATE shop.orders SET total = 999 WHERE id = 7");
      deletedCustomer = PgTestSupport.count(t, "DELETE FROM shop.customers c WHERE c.id = (SELECT min(id)"
          + " FROM shop.customers x WHERE x.id > 5000 AND NOT EXISTS (SELECT 1 FROM shop.orders o"
          + " WHERE o.customer_id = x.id)) RETURNING c.id");
      exec(t, "INSERT INTO shop.products VALUES (100000, 'only on the target', 1)");
    }
    ValidationResult result;
    ShopLoad.Result load;
    try (ShopLoad shop = ShopLoad.start(pairs.source.port(), PgPair.DATABASE, 15)) {
      Thread.sleep(2_000);
      result = validator.validate(plan);
      assertTrue(shop.running(), "the application ran through the validation");
      load = shop.finish();
    }
    assertTrue(load.clean(), "the application saw failures:\n" + load.output());
    assertFalse(result.passed(), result.toString());
    assertEquals(3, result.mismatches(), result.toString());

    TableValidation orders = table(result, "shop.orders");
    assertOneRangeHolding(orders, 7);
    assertEquals(orders.sourceRows(), orders.targetRows(), "a changed value, same count: " + orders);

    TableValidation customers = table(result, "shop.customers");
    ChunkDifference missing = assertOneRangeHolding(customers, deletedCustomer);
    assertEquals(missing.sourceRows() - 1, missing.targetRows(), "one row missing on the target: " + missing);

    TableValidation products = table(result, "shop.products");
    ChunkDifference extra = assertOneRangeHolding(products, 100_000);
    assertNull(extra.to(), "beyond the source's largest key: the last, open range");
    assertEquals(extra.sourceRows() + 1, extra.targetRows(), "one extra row on the target: " + extra);

    assertTrue(table(result, "shop.order_lines").match());
    assertTrue(table(result, "shop.payments").match());
  }

  private static ChunkDifference assertOneRangeHolding(TableValidation t, long key) {
    assertFalse(t.match(), t.toString());
    assertTrue(t.chunks() > 1, "compared in several ranges: " + t);
    assertEquals(1, t.differences().size(), "one range differs: " + t);
    ChunkDifference d = t.differences().get(0);
    assertTrue((d.from() == null || new BigInteger(d.from()).longValueExact() <= key)
        && (d.to() == null || key < new BigInteger(d.to()).longValueExact()), key + " lies in " + d);
    return d;
  }

  private static TableValidation table(ValidationResult result, String name) {
    return result.tables().stream().filter(t -> t.table().equals(name)).findFirst().orElseThrow();
  }
}
