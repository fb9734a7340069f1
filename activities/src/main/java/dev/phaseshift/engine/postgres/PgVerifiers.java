package dev.phaseshift.engine.postgres;

import java.io.IOException;
import java.io.StringReader;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Map;
import org.postgresql.PGConnection;

/**
 * Sets password verifiers on the target without their text appearing in any statement the
 * server may log: {@code ALTER ROLE ... PASSWORD} takes no bind parameters, and a target role
 * that is not a superuser may not turn {@code log_statement} off. The verifiers travel as COPY
 * data into a temporary table (COPY data is never logged, unlike statement text and bind
 * parameters), and a DO block, whose text holds none of them, runs each ALTER ROLE from there
 * (statements run inside a function are not logged by {@code log_statement}). A failure is
 * re-raised without the statement, so no error context carries a verifier either.
 */
final class PgVerifiers {
  private static final String TABLE = "phaseshift_verifiers";

  private PgVerifiers() {}

  /** In the caller's transaction; the table goes with it. */
  static void set(Connection target, Map<String, String> verifiers) throws SQLException {
    if (verifiers.isEmpty()) return;
    try (Statement st = target.createStatement()) {
      // Where the role may, it also keeps the transaction's statements out of the log altogether.
      quietLogging(target, st);
      st.execute("CREATE TEMPORARY TABLE " + TABLE + " (role_name text, verifier text) ON COMMIT DROP");
      StringBuilder rows = new StringBuilder();
      verifiers.forEach((role, verifier) -> rows.append(copyField(role)).append('\t').append(copyField(verifier))
          .append('\n'));
      try {
        target.unwrap(PGConnection.class).getCopyAPI().copyIn("COPY " + TABLE + " FROM STDIN",
            new StringReader(rows.toString()));
      } catch (IOException e) {
        throw new SQLException("passing password verifiers to the target: " + e.getMessage(), "08006", e);
      }
      st.execute("DO $$ DECLARE r record; BEGIN"
          + " FOR r IN SELECT role_name, verifier FROM pg_temp." + TABLE + " LOOP"
          + "   BEGIN"
          + "     EXECUTE format('ALTER ROLE %I PASSWORD %L', r.role_name, r.verifier);"
          + "   EXCEPTION WHEN OTHERS THEN"
          + "     RAISE EXCEPTION 'setting the password verifier of role % failed: %', r.role_name, SQLERRM"
          + "       USING ERRCODE = SQLSTATE;"
          + "   END;"
          + " END LOOP; END $$");
      st.execute("DROP TABLE pg_temp." + TABLE);
    }
  }

  private static void quietLogging(Connection target, Statement st) throws SQLException {
    int version = Sql.one(target, "SELECT current_setting('server_version_num')::int", rs -> rs.getInt(1));
    String may = version >= 150000
        ? "SELECT has_parameter_privilege('log_statement', 'SET') AND has_parameter_privilege('log_min_duration_statement', 'SET')"
            + " AND has_parameter_privilege('log_min_error_statement', 'SET')"
        : "SELECT rolsuper FROM pg_roles WHERE rolname = current_user";
    if (!Boolean.TRUE.equals(Sql.one(target, may, rs -> rs.getBoolean(1)))) return;
    st.execute("SET LOCAL log_statement = 'none'");
    st.execute("SET LOCAL log_min_duration_statement = -1");
    st.execute("SET LOCAL log_min_error_statement = 'panic'");
  }

  /** COPY's text format: backslash, tab and line ends escaped. */
  private static String copyField(String value) {
    return value.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r");
  }
}
