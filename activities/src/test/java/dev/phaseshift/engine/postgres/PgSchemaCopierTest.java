package dev.phaseshift.engine.postgres;

import static dev.phaseshift.engine.postgres.PgTestSupport.count;
import static dev.phaseshift.engine.postgres.PgTestSupport.exec;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.phaseshift.engine.MigrationException;
import dev.phaseshift.plan.MigrationPlan;
import dev.phaseshift.plan.TableSelection;
import dev.phaseshift.workflow.FailureTypes;
import java.sql.Connection;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class PgSchemaCopierTest extends PgPairTest {
  @BeforeEach
  void reset() throws Exception {
    pairs.resetDatabases();
    try (Connection s = pairs.source()) {
      exec(s,
          "CREATE TYPE order_status AS ENUM ('new', 'paid', 'shipped')",
          "CREATE SCHEMA sales",
          "CREATE TABLE customers (id serial PRIMARY KEY, email text NOT NULL UNIQUE,"
              + " created timestamptz NOT NULL DEFAULT now(), tags text[] NOT NULL DEFAULT '{}')",
          "CREATE TABLE sales.orders (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,"
              + " customer_id int NOT NULL REFERENCES customers(id) ON DELETE CASCADE,"
              + " status order_status NOT NULL DEFAULT 'new', amount numeric(12,2) CHECK (amount >= 0),"
              + " payload jsonb, receipt bytea, scores int[], placed_at timestamptz)",
          "CREATE INDEX orders_customer_idx ON sales.orders (customer_id)",
          "CREATE INDEX orders_open_idx ON sales.orders (placed_at) WHERE status <> 'shipped'",
          "CREATE INDEX orders_payload_idx ON sales.orders USING gin (payload)",
          "CREATE VIEW sales.open_orders AS SELECT id, customer_id, amount FROM sales.orders WHERE status <> 'shipped'",
          "CREATE FUNCTION sales.stamp() RETURNS trigger LANGUAGE plpgsql AS"
              + " $$ BEGIN NEW.placed_at := coalesce(NEW.placed_at, now()); RETURN NEW; END $$",
          "CREATE TRIGGER orders_stamp BEFORE INSERT ON sales.orders FOR EACH ROW EXECUTE FUNCTION sales.stamp()",
          "CREATE SEQUENCE invoice_no START 1000",
          "CREATE TABLE notes (id bigserial PRIMARY KEY, body text, customer_id int REFERENCES customers(id))",
          "INSERT INTO customers (email, tags) SELECT 'c' || g || '@example.com', ARRAY['t' || g % 3]"
              + " FROM generate_series(1, 100) g",
          "INSERT INTO sales.orders (customer_id, status, amount, payload, receipt, scores)"
              + " SELECT 1 + g % 100, 'paid', g * 1.5, jsonb_build_object('n', g), '\\x0102'::bytea, ARRAY[g, g + 1]"
              + " FROM generate_series(1, 500) g");
    }
  }

  @Test
  void copiesTheWholeSchemaInTwoIdempotentSteps() throws Exception {
    MigrationPlan plan = pairs.plan("schema-all");
    PgSchemaCopier copier = new PgSchemaCopier(tools);
    PgEndpoint source = PgEndpoint.source(plan);
    PgEndpoint target = PgEndpoint.target(plan);

    copier.createTables(plan);
    try (Connection t = pairs.target()) {
      assertEquals(3, count(t, "SELECT count(*) FROM pg_tables WHERE schemaname IN ('public', 'sales')"));
      assertEquals(0, count(t, "SELECT count(*) FROM pg_indexes WHERE schemaname IN ('public', 'sales')"),
          "indexes come after the bulk copy");
      assertEquals(1, count(t, "SELECT count(*) FROM pg_views WHERE schemaname = 'sales'"));
      assertEquals(0, count(t, "SELECT count(*) FROM sales.orders"), "schema only, no rows");
      assertEquals(1, count(t, "SELECT count(*) FROM pg_constraint WHERE contype = 'c' AND conrelid <> 0"), "CHECK comes with the table");
    }
    assertNotEquals(PgTestSupport.schema(tools, source), PgTestSupport.schema(tools, target));
    copier.createTables(plan);

    copier.createIndexesAndConstraints(plan);
    copier.createIndexesAndConstraints(plan);
    try (Connection t = pairs.target()) {
      assertEquals(1, count(t, "SELECT count(*) FROM pg_trigger WHERE tgname = 'orders_stamp'"));
      assertEquals(2, count(t, "SELECT count(*) FROM pg_constraint WHERE contype = 'f'"));
      assertEquals(1, count(t, "SELECT count(*) FROM pg_indexes WHERE indexname = 'orders_open_idx'"
          + " AND indexdef LIKE '%WHERE%'"));
    }
    List<String> expected = PgTestSupport.schema(tools, source);
    List<String> actual = PgTestSupport.schema(tools, target);
    assertTrue(expected.size() > 40, "a real dump: " + expected.size() + " lines");
    assertEquals(PgTestSupport.lines(expected), PgTestSupport.lines(actual));

    // Retrying either step after success changes nothing.
    copier.createTables(plan);
    copier.createIndexesAndConstraints(plan);
    assertEquals(PgTestSupport.lines(expected), PgTestSupport.lines(PgTestSupport.schema(tools, target)));
  }

  @Test
  void copiesOnlyTheSelectedTables() throws Exception {
    MigrationPlan plan = PgTestSupport.withTables(pairs.plan("schema-subset"),
        new TableSelection(List.of("public.customers", "public.notes"), List.of()));
    PgSchemaCopier copier = new PgSchemaCopier(tools);
    copier.createTables(plan);
    copier.createIndexesAndConstraints(plan);
    copier.createTables(plan);
    copier.createIndexesAndConstraints(plan);
    try (Connection t = pairs.target()) {
      assertEquals(List.of("customers", "notes").size(),
          count(t, "SELECT count(*) FROM pg_tables WHERE schemaname IN ('public', 'sales')"));
      assertEquals(0, count(t, "SELECT count(*) FROM pg_tables WHERE tablename = 'orders'"));
      assertEquals(1, count(t, "SELECT count(*) FROM pg_constraint WHERE conname = 'notes_customer_id_fkey'"));
      assertEquals(1, count(t, "SELECT count(*) FROM pg_class WHERE relname = 'notes_id_seq'"));
      assertEquals(1, count(t, "SELECT count(*) FROM pg_indexes WHERE indexname = 'customers_email_key'"));
    }
  }

  @Test
  void aTargetHoldingSomeOfTheTablesIsRefused() throws Exception {
    try (Connection t = pairs.target()) {
      exec(t, "CREATE TABLE notes (id int)");
    }
    MigrationException e = assertThrows(MigrationException.class,
        () -> new PgSchemaCopier(tools).createTables(pairs.plan("schema-partial")));
    assertEquals(FailureTypes.PREREQUISITE, e.type());
    assertTrue(e.getMessage().contains("public.customers") && e.getMessage().contains("drop"), e.getMessage());
  }
}
