package dev.phaseshift.engine.postgres;

import static dev.phaseshift.engine.postgres.PgTestSupport.exec;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.phaseshift.testing.PgPair;
import java.sql.Connection;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Reads changed keys from a real slot: only commits past the applied position count, and the slot stays put. */
class PgChangedKeysTest {
  static PgPair pair;

  @BeforeAll
  static void start() {
    pair = new PgPair();
  }

  @AfterAll
  static void stop() {
    pair.close();
  }

  @Test
  void namesTheRowsOfTransactionsCommittedAfterTheAppliedPosition() throws Exception {
    try (Connection s = pair.source()) {
      exec(s, "CREATE TABLE k_single (id bigint PRIMARY KEY, v text)",
          "CREATE TABLE k_pair (a int, b text, v int, PRIMARY KEY (a, b))",
          "CREATE TABLE k_nothing (v int)",
          "ALTER TABLE k_nothing REPLICA IDENTITY NOTHING",
          "INSERT INTO k_single SELECT i, 'x' FROM generate_series(1, 10) i",
          "INSERT INTO k_pair VALUES (1, 'o''k', 1), (2, 'two', 2)",
          "CREATE PUBLICATION ck FOR TABLE k_single, k_pair, k_nothing",
          "SELECT pg_create_logical_replication_slot('ck', 'pgoutput')");
      // Applied already: the target stopped after this transaction.
      exec(s, "UPDATE k_single SET v = 'applied' WHERE id = 1");
      long applied = lsn(s);
      exec(s, "BEGIN", "UPDATE k_single SET v = 'y' WHERE id = 2", "DELETE FROM k_single WHERE id = 3",
          "UPDATE k_single SET id = 40 WHERE id = 4", "UPDATE k_pair SET v = 9 WHERE a = 1", "COMMIT");
      exec(s, "INSERT INTO k_nothing VALUES (1)");
      exec(s, "BEGIN", "UPDATE k_single SET v = 'rolled back' WHERE id = 5", "ROLLBACK");
      String upTo = PgTestSupport.text(s, "SELECT pg_current_wal_insert_lsn()::text");

      PgChangedKeys.Changes changes = PgChangedKeys.after(s, "ck", "ck", applied, upTo);

      assertEquals(Set.of(List.of("2"), List.of("3"), List.of("4"), List.of("40")), changes.keys().get("public.k_single"),
          "the update, the delete, and both the old and the new key of the moved row; not the applied or rolled-back ones");
      assertEquals(Set.of(List.of("1", "o'k")), changes.keys().get("public.k_pair"));
      assertTrue(changes.tables().contains("public.k_nothing"), "a table without identity changes as a whole");
      assertEquals(2, changes.transactions());
      // Peeking leaves the slot where it was, so the subscription streams the same changes afterwards.
      assertEquals(changes, PgChangedKeys.after(s, "ck", "ck", applied, upTo));
      exec(s, "TRUNCATE k_pair");
      PgChangedKeys.Changes truncated = PgChangedKeys.after(s, "ck", "ck", applied,
          PgTestSupport.text(s, "SELECT pg_current_wal_insert_lsn()::text"));
      assertTrue(truncated.tables().contains("public.k_pair"));
      assertFalse(truncated.keys().containsKey("public.k_pair"));
      exec(s, "SELECT pg_drop_replication_slot('ck')");
    }
  }

  /** The end of the last commit written so far, as the target's origin would report it once applied. */
  private static long lsn(Connection s) throws Exception {
    return Long.parseUnsignedLong(PgTestSupport.text(s,
        "SELECT (pg_current_wal_insert_lsn() - '0/0'::pg_lsn)::text"));
  }
}
