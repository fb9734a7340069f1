package dev.phaseshift.engine.postgres;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.HashSet;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Fits a schema dump's session settings to the server it is restored on. The worker's pg_dump may
 * be newer than the target (it must be as new as the newer server, and a 14 -> 16 move may run
 * pg_dump 18), and pg_dump opens every script with the settings its own version knows: pg_dump 17
 * and newer write {@code SET transaction_timeout = 0;}, which PostgreSQL 16 and older refuse, so
 * the whole restore would fail. Only the opening block before the first object is touched; those
 * lines configure the restoring session and mean nothing where the setting does not exist.
 */
final class PgDumpPrologue {
  private static final Pattern SET = Pattern.compile("^SET (\\w+) = .*;$");
  /** pg_dump's header above each object; the session block ends where the first one starts. */
  private static final String OBJECT_HEADER = "-- Name: ";

  private PgDumpPrologue() {}

  /** The names of every setting the server knows (pg_settings, lower case as pg_dump writes them). */
  static Set<String> settings(Connection c) throws SQLException {
    return new HashSet<>(Sql.query(c, "SELECT name FROM pg_settings", rs -> rs.getString(1)));
  }

  /** Whether the text opens with session settings at all (scripts that are not dumps need no fitting). */
  static boolean setsSession(String script) {
    return script.startsWith("SET ") || script.contains("\nSET ");
  }

  /** The dump without opening {@code SET} lines for settings the target does not have. */
  static String forTarget(String dump, Set<String> targetSettings) {
    StringBuilder out = new StringBuilder(dump.length());
    boolean prologue = true;
    for (String line : dump.split("\n", -1)) {
      if (line.startsWith(OBJECT_HEADER)) prologue = false;
      if (prologue) {
        Matcher set = SET.matcher(line.stripTrailing());
        if (set.matches() && !targetSettings.contains(set.group(1))) continue;
      }
      out.append(line).append('\n');
    }
    // split(-1) keeps the text after the last newline as a final element: do not add one that was not there.
    out.setLength(out.length() - 1);
    return out.toString();
  }
}
