package dev.phaseshift.engine.postgres;

import static dev.phaseshift.engine.postgres.PgTestSupport.count;
import static dev.phaseshift.engine.postgres.PgTestSupport.exec;
import static dev.phaseshift.engine.postgres.PgTestSupport.text;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.phaseshift.model.Approval;
import dev.phaseshift.model.Decision;
import dev.phaseshift.model.MigrationStatus;
import dev.phaseshift.model.OperatorRequest;
import dev.phaseshift.model.Phase;
import dev.phaseshift.plan.ApprovalPolicy;
import dev.phaseshift.plan.MigrationPlan;
import dev.phaseshift.plan.VerificationPolicy;
import dev.phaseshift.testing.MigrationRuns;
import dev.phaseshift.testing.PgPair;
import dev.phaseshift.workflow.MigrationWorkflow;
import io.temporal.testing.TestWorkflowEnvironment;
import java.sql.Connection;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A whole migration through the workflow and the real engine, of a database whose application
 * also uses what logical replication does not carry: a materialized view, large objects and an
 * unlogged table. Once the copy is validated and sign-off awaited, the application changes a large
 * object, writes the unlogged table and refreshes its materialized view; after the switchover all
 * of it is equal on the target.
 */
class UnstreamedObjectsEndToEndTest {
  static PgPair pairs;
  static TestWorkflowEnvironment env;

  @BeforeAll
  static void start() throws Exception {
    pairs = new PgPair();
    try (Connection s = pairs.source()) {
      exec(s,
          "CREATE TABLE items (id int PRIMARY KEY, name text NOT NULL, price numeric(10,2) NOT NULL)",
          "CREATE TABLE manuals (item_id int PRIMARY KEY REFERENCES items(id), pdf oid NOT NULL)",
          "CREATE UNLOGGED TABLE carts (session text PRIMARY KEY, item_id int, quantity int)",
          "CREATE MATERIALIZED VIEW price_bands AS SELECT floor(price / 10) AS band, count(*) AS items"
              + " FROM items GROUP BY 1",
          "INSERT INTO items SELECT g, 'item ' || g, g * 1.25 FROM generate_series(1, 2000) g",
          "INSERT INTO manuals SELECT g, lo_from_bytea(0, convert_to(repeat('manual ' || g, 200), 'UTF8'))"
              + " FROM generate_series(1, 20) g",
          "INSERT INTO carts SELECT 's' || g, g, 1 FROM generate_series(1, 50) g",
          "REFRESH MATERIALIZED VIEW price_bands");
    }
    env = MigrationRuns.environment();
  }

  @AfterAll
  static void stop() {
    if (env != null) env.close();
    if (pairs != null) pairs.close();
  }

  @Test
  void everythingTheApplicationUsesIsEqualOnTheTargetAfterTheSwitchover() throws Exception {
    MigrationPlan p = pairs.plan("unstreamed-e2e");
    MigrationPlan plan = new MigrationPlan(p.name(), p.source(), p.target(), p.tables(), p.copyParallelism(),
        p.cutover(), true, p.retention(), "alice", new ApprovalPolicy(List.of("bob"), 1, false, null, null),
        null, null, true, null, null, null).withVerification(VerificationPolicy.off());
    MigrationWorkflow workflow = MigrationRuns.start(env, plan);
    MigrationStatus waiting = MigrationRuns.awaitStatus(workflow, Duration.ofSeconds(180),
        s -> s.waitingFor() != null && s.waitingFor().startsWith("approval"));
    assertTrue(waiting.validation().passed(), waiting.validation().toString());
    assertTrue(waiting.validation().objectChecks().stream().anyMatch(o -> o.kind().equals("materialized view")
        && o.match() && o.target().startsWith("populated")), waiting.validation().objectChecks().toString());

    // The application after the copy and the validation: none of this reaches the target by the stream.
    try (Connection s = pairs.source()) {
      exec(s,
          "SELECT lo_put(pdf, 0, convert_to('REVISED', 'UTF8')) FROM manuals WHERE item_id = 3",
          "INSERT INTO items VALUES (2001, 'late item', 999.99)",
          "INSERT INTO manuals VALUES (2001, lo_from_bytea(0, 'late manual'))",
          "UPDATE carts SET quantity = 5 WHERE session = 's7'",
          "INSERT INTO carts VALUES ('late', 2001, 2)",
          "REFRESH MATERIALIZED VIEW price_bands");
    }
    Decision approved = workflow.approveUpdate(new Approval("bob", "window agreed", null));
    assertTrue(approved.accepted(), approved.toString());
    MigrationRuns.awaitStatus(workflow, Duration.ofSeconds(180),
        s -> s.waitingFor() != null && s.waitingFor().startsWith("connectionSwitched"));
    workflow.connectionSwitched(new OperatorRequest("alice", "the application uses the target"));
    MigrationStatus switched = MigrationRuns.awaitStatus(workflow, Duration.ofSeconds(180),
        s -> s.phase() == Phase.RECOVERY);
    assertTrue(switched.writeFreezeMillis() != null && switched.writeFreezeMillis() > 0, switched.toString());
    assertEquals("target", switched.primary(), switched.toString());

    try (Connection s = pairs.source(); Connection t = pairs.target()) {
      for (String sql : List.of(
          "SELECT string_agg(oid::text || ':' || md5(lo_get(oid)), ',' ORDER BY oid) FROM pg_largeobject_metadata",
          "SELECT string_agg(c::text, ',' ORDER BY session) FROM carts c",
          "SELECT string_agg(b::text, ',' ORDER BY band) FROM price_bands b",
          "SELECT string_agg(m::text, ',' ORDER BY item_id) FROM manuals m",
          "SELECT count(*)::text FROM items")) {
        assertEquals(text(s, sql), text(t, sql), sql);
      }
      assertEquals("REVISED", text(t, "SELECT convert_from(lo_get(pdf, 0, 7), 'UTF8') FROM manuals WHERE item_id = 3"));
      assertEquals(51, count(t, "SELECT count(*) FROM carts"));
      assertEquals("u", text(t, "SELECT relpersistence FROM pg_class WHERE relname = 'carts'"));
    }
  }
}
