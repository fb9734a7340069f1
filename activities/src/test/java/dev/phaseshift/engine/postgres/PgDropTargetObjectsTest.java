package dev.phaseshift.engine.postgres;

import static dev.phaseshift.engine.postgres.PgTestSupport.count;
import static dev.phaseshift.engine.postgres.PgTestSupport.exec;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.phaseshift.plan.MigrationPlan;
import dev.phaseshift.testing.PgPair;
import java.sql.Connection;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Compensation on a disposable target: what the migration created goes, what was there stays. */
class PgDropTargetObjectsTest {
  static PgPair pairs;

  @BeforeAll
  static void start() {
    pairs = new PgPair();
  }

  @AfterAll
  static void stop() {
    if (pairs != null) pairs.close();
  }

  private static MigrationPlan disposable(MigrationPlan p, boolean disposable) {
    return new MigrationPlan(p.name(), p.source(), p.target(), p.tables(), p.copyParallelism(), p.cutover(),
        p.approvalRequired(), p.retention(), p.requestedBy(), p.approval(), p.maintenanceWindows(), p.router(),
        disposable, p.reverseReplication(), p.finalDumpDirectory(), p.webhookUrl());
  }

  private static long relations(Connection t, String... names) throws Exception {
    return count(t, "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
        + " WHERE n.nspname IN ('public', 'sales') AND c.relname IN ('" + String.join("', '", names) + "')");
  }

  private static long types(Connection t, String... names) throws Exception {
    return count(t, "SELECT count(*) FROM pg_type WHERE typname IN ('" + String.join("', '", names) + "')");
  }

  @Test
  void dropsOnlyWhatTheMigrationCreatedAndOnlyWhenTheTargetIsDisposable() throws Exception {
    pairs.resetDatabases();
    try (Connection s = pairs.source()) {
      exec(s,
          "CREATE TYPE mood AS ENUM ('happy', 'sad')",
          "CREATE DOMAIN positive AS int CHECK (VALUE > 0)",
          "CREATE TYPE money_range AS RANGE (subtype = numeric)",
          "CREATE SCHEMA sales",
          "CREATE TABLE sales.orders (id bigserial PRIMARY KEY, mood mood, qty positive, span money_range)",
          "CREATE TABLE sales.lines (order_id bigint REFERENCES sales.orders, n int)",
          "CREATE SEQUENCE public.ticket_no",
          "CREATE TABLE public.customers (id int GENERATED ALWAYS AS IDENTITY PRIMARY KEY, name text)",
          "INSERT INTO sales.orders (mood, qty) VALUES ('happy', 3)");
    }
    try (Connection t = pairs.target()) {
      // On the target before the migration, and not the migration's to drop.
      exec(t, "CREATE TABLE public.keep_me (id serial PRIMARY KEY, note text)",
          "INSERT INTO public.keep_me (note) VALUES ('was here first')");
    }
    MigrationPlan plan = pairs.plan("disposable");
    PgSchemaCopier copier = new PgSchemaCopier(PgTools.detect());
    copier.createTables(plan);
    copier.createIndexesAndConstraints(plan);
    try (Connection t = pairs.target()) {
      // The schema copy brought the bookkeeping schema up already (it records the roles it creates).
      exec(t, "CREATE SCHEMA IF NOT EXISTS phaseshift", "CREATE TABLE phaseshift.copy_chunks (migration text)",
          // Added to the unrelated table after the copy: the enum now has a dependent that stays.
          "ALTER TABLE public.keep_me ADD COLUMN mood mood");
      assertEquals(5, relations(t, "orders", "lines", "customers", "ticket_no", "keep_me"));
    }

    PgCutover cutover = new PgCutover();
    cutover.dropTargetObjects(disposable(plan, false));
    try (Connection t = pairs.target()) {
      assertEquals(5, relations(t, "orders", "lines", "customers", "ticket_no", "keep_me"), "not disposable");
      assertEquals(3, types(t, "mood", "positive", "money_range"));
      assertEquals(1, count(t, "SELECT count(*) FROM pg_namespace WHERE nspname = 'phaseshift'"));
    }

    cutover.dropTargetObjects(disposable(plan, true));
    cutover.dropTargetObjects(disposable(plan, true));
    try (Connection t = pairs.target()) {
      assertEquals(0, relations(t, "orders", "lines", "customers", "ticket_no", "orders_id_seq"),
          "migrated tables and their sequences are gone");
      assertEquals(0, types(t, "positive", "money_range"), "types nothing else uses are gone");
      assertEquals(1, types(t, "mood"), "a type an unrelated table uses stays");
      assertEquals(0, count(t, "SELECT count(*) FROM pg_namespace WHERE nspname = 'phaseshift'"));
      assertEquals(1, count(t, "SELECT count(*) FROM public.keep_me"), "the unrelated table survives");
      assertEquals(1, relations(t, "keep_me_id_seq"), "with its sequence");
    }
    try (Connection s = pairs.source()) {
      assertEquals(1, count(s, "SELECT count(*) FROM sales.orders"), "the source is untouched");
    }
  }
}
