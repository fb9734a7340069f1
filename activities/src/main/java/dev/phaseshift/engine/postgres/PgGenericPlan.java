package dev.phaseshift.engine.postgres;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The plan of a normalized statement ({@code $1}, {@code $2} in place of its constants), which
 * cannot be run as it is: prepared, then explained as a generic plan (plan_cache_mode =
 * force_generic_plan, PostgreSQL 12+; the same as EXPLAIN (GENERIC_PLAN) on 16+), with NULL for
 * every parameter, which a generic plan does not look at. EXPLAIN without ANALYZE: nothing runs,
 * so a write is explained without writing.
 */
final class PgGenericPlan {
  private static final Pattern PARAMETER = Pattern.compile("\\$(\\d+)");
  private static final String NAME = "phaseshift_explain";

  private PgGenericPlan() {}

  /** The plan's lines joined, or throws when the statement cannot be prepared here (e.g. untyped parameters). */
  static String of(Connection c, String query) throws SQLException {
    int parameters = 0;
    Matcher m = PARAMETER.matcher(query);
    while (m.find()) parameters = Math.max(parameters, Integer.parseInt(m.group(1)));
    Sql.exec(c, "SET plan_cache_mode = force_generic_plan");
    try {
      Sql.exec(c, "PREPARE " + NAME + " AS " + query);
      try {
        String args = parameters == 0 ? "" : "(" + String.join(", ", java.util.Collections.nCopies(parameters, "NULL")) + ")";
        List<String> lines = Sql.query(c, "EXPLAIN EXECUTE " + NAME + args, rs -> rs.getString(1));
        return String.join("\n", lines);
      } finally {
        Sql.exec(c, "DEALLOCATE " + NAME);
      }
    } finally {
      Sql.exec(c, "RESET plan_cache_mode");
    }
  }
}
