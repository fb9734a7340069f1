package dev.phaseshift.engine.postgres;

import dev.phaseshift.plan.CutoverPolicy;
import dev.phaseshift.plan.MigrationPlan;
import dev.phaseshift.plan.TableSelection;
import dev.phaseshift.testing.PgPair;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.stream.Collectors;

/** Shared set-up for the engine tests: native logical replication between the pair, schema dumps. */
final class PgTestSupport {
  private PgTestSupport() {}

  static void exec(Connection c, String... sql) throws SQLException {
    try (Statement s = c.createStatement()) {
      for (String statement : sql) s.execute(statement);
    }
  }

  static long count(Connection c, String sql) throws SQLException {
    try (Statement s = c.createStatement(); var rs = s.executeQuery(sql)) {
      rs.next();
      return rs.getLong(1);
    }
  }

  static String text(Connection c, String sql) throws SQLException {
    try (Statement s = c.createStatement(); var rs = s.executeQuery(sql)) {
      return rs.next() ? rs.getString(1) : null;
    }
  }

  static MigrationPlan withTables(MigrationPlan plan, TableSelection tables) {
    return new MigrationPlan(plan.name(), plan.source(), plan.target(), tables, plan.copyParallelism(),
        plan.cutover(), plan.approvalRequired(), plan.retention(), plan.requestedBy());
  }

  static MigrationPlan withMaxFreeze(MigrationPlan plan, String maxFreeze) {
    return new MigrationPlan(plan.name(), plan.source(), plan.target(), plan.tables(), plan.copyParallelism(),
        new CutoverPolicy(maxFreeze, plan.cutover().maxLagBytes()), plan.approvalRequired(), plan.retention(),
        plan.requestedBy());
  }

  /**
   * Publishes the tables on the source and subscribes the target to them with PostgreSQL's own
   * initial copy, named as the plan's migration would name them; returns once every table is in sync.
   */
  static void replicate(PgPair pairs, MigrationPlan plan, List<String> tables) throws Exception {
    pairs.replicate(PgNames.publication(plan), PgNames.subscription(plan), tables);
  }

  /** Normalized schema dump of one side, as the validator compares it. */
  static List<String> schema(PgTools tools, PgEndpoint endpoint) {
    String dump = tools.pgDump(tools.forServer(150000), endpoint, List.of("--schema-only", "--no-owner",
        "--no-privileges", "--no-publications", "--no-subscriptions", "--exclude-schema=phaseshift"));
    return PgTools.schemaLines(dump);
  }

  static String lines(List<String> lines) {
    return lines.stream().collect(Collectors.joining("\n"));
  }
}
