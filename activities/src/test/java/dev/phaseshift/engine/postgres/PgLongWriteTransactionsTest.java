package dev.phaseshift.engine.postgres;

import static dev.phaseshift.engine.postgres.PgTestSupport.count;
import static dev.phaseshift.engine.postgres.PgTestSupport.exec;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.phaseshift.plan.CutoverPolicy;
import dev.phaseshift.plan.MigrationPlan;
import dev.phaseshift.testing.PgPair;
import java.sql.Connection;
import java.sql.DriverManager;
import java.util.List;
import java.util.Properties;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Which open transactions on the source would hold a switchover back. */
class PgLongWriteTransactionsTest {
  static PgPair pairs;

  @BeforeAll
  static void start() {
    pairs = new PgPair();
  }

  @AfterAll
  static void stop() {
    if (pairs != null) pairs.close();
  }

  private static Connection session(String application) throws Exception {
    Properties p = new Properties();
    p.setProperty("user", "postgres");
    p.setProperty("ApplicationName", application);
    Connection c = DriverManager.getConnection(pairs.source.jdbcUrl(PgPair.DATABASE), p);
    c.setAutoCommit(false);
    return c;
  }

  private static long pid(Connection c) throws Exception {
    return count(c, "SELECT pg_backend_pid()");
  }

  @Test
  void listsOnlyWriteTransactionsOlderThanTheLimit() throws Exception {
    pairs.resetDatabases();
    try (Connection s = pairs.source()) {
      exec(s, "CREATE TABLE orders (id int, note text)");
    }
    MigrationPlan base = pairs.plan("long-tx");
    MigrationPlan plan = new MigrationPlan(base.name(), base.source(), base.target(), base.tables(),
        base.copyParallelism(), new CutoverPolicy("30s", 64L * 1024 * 1024, "1s"), base.approvalRequired(),
        base.retention(), base.requestedBy());
    String longStatement = "UPDATE orders SET note = '" + "x".repeat(200) + "' WHERE id = 1";
    try (Connection writer = session("shop-api");
        Connection reader = session("reports");
        Connection ours = session("phaseshift");
        Connection young = session("shop-api")) {
      exec(writer, "INSERT INTO orders VALUES (1, 'a')", longStatement);
      exec(reader, "SELECT count(*) FROM orders");
      exec(ours, "INSERT INTO orders VALUES (2, 'ours')");
      Thread.sleep(1_500);
      exec(young, "INSERT INTO orders VALUES (3, 'young')");

      List<String> found = new PgCutover().longWriteTransactions(plan);
      assertEquals(1, found.size(), found.toString());
      String line = found.get(0);
      assertTrue(line.startsWith("pid " + pid(writer) + " (application 'shop-api', user postgres, 127.0.0.1)"
          + " writing for "), line);
      assertTrue(line.matches(".* writing for [0-9]+s: UPDATE orders SET note = 'x+ \\.\\.\\."), line);
      assertEquals(80, line.substring(line.indexOf(": ") + 2, line.length() - 4).length(), line);

      writer.rollback();
      assertEquals(List.of(), new PgCutover().longWriteTransactions(plan));
    }
  }

  @Test
  void describesAgesAsOperatorsReadThem() {
    assertEquals("45s", PgLongWriteTransactions.age(45));
    assertEquals("7m12s", PgLongWriteTransactions.age(432));
    assertEquals("2h03m07s", PgLongWriteTransactions.age(7387));
    assertEquals("UPDATE orders SET x = 1", PgLongWriteTransactions.shortQuery("  UPDATE orders\n   SET x = 1\n"));
  }
}
