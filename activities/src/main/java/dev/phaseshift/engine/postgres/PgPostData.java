package dev.phaseshift.engine.postgres;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Applies pg_dump's post-data section in parallel: every index (including the unique indexes that
 * back primary keys and unique constraints) is built on one of several target sessions at once;
 * the constraints are then attached to their ready indexes, the rest follows in dump order, and
 * foreign keys are added NOT VALID and validated in parallel. Each statement commits on its own and
 * an object that exists already is skipped, so a retry after a failure continues where it stopped.
 */
final class PgPostData {
  private static final Logger log = LoggerFactory.getLogger(PgPostData.class);

  /** Per index-building session; raised only, never lowered below the server's setting. */
  static final long MAINTENANCE_WORK_MEM_MB = 256;

  private static final Pattern HEADER = Pattern.compile("^-- Name: (.*); Type: (.*); Schema: (.*); Owner: .*$");
  /** An identifier as pg_dump prints it: quoted where needed, possibly schema-qualified. */
  private static final String NAME = "(?:\"(?:[^\"]|\"\")*\"|[^\\s\".()]+)";
  private static final String QUALIFIED = NAME + "(?:\\." + NAME + ")?";
  private static final Pattern KEY_CONSTRAINT = Pattern.compile(
      "(?s)ALTER TABLE ONLY (" + QUALIFIED + ")\\s+ADD CONSTRAINT (" + NAME + ") (PRIMARY KEY|UNIQUE)"
          + " (\\([^()]*\\))((?: DEFERRABLE)?(?: INITIALLY (?:DEFERRED|IMMEDIATE))?);");
  private static final Pattern SET = Pattern.compile("^SET (\\w+) = .*;$");
  private static final Pattern FOREIGN_KEY = Pattern.compile(
      "(?s)ALTER TABLE (?:ONLY )?(" + QUALIFIED + ")\\s+ADD CONSTRAINT (" + NAME + ") FOREIGN KEY .*;");

  /** One TOC entry of the dump: its statements and the tag pg_dump gave it. */
  record Entry(String name, String type, String schema, List<String> settings, List<String> statements) {}

  /** The dump split into its session prologue and its entries. */
  record Script(List<String> prologue, List<Entry> entries) {}

  private PgPostData() {}

  static Script parse(String dump) {
    List<String> prologue = new ArrayList<>();
    List<Entry> entries = new ArrayList<>();
    // pg_dump switches default_tablespace and the like between entries, ahead of the entry's
    // header; whatever session runs an entry needs the values in force at that point.
    Map<String, String> current = new LinkedHashMap<>();
    String name = null;
    String type = null;
    String schema = null;
    List<String> settings = List.of();
    StringBuilder body = new StringBuilder();
    for (String raw : dump.split("\n")) {
      String line = raw.stripTrailing();
      Matcher h = HEADER.matcher(line);
      if (h.matches()) {
        if (type != null) entries.add(entry(name, type, schema, settings, body.toString()));
        name = h.group(1);
        type = h.group(2);
        schema = h.group(3);
        settings = List.copyOf(current.values());
        body.setLength(0);
        continue;
      }
      String t = line.strip();
      if (t.isEmpty() || t.startsWith("--")) continue;
      // psql meta-commands (pg_dump 15.14+'s \restrict keys) mean nothing to a plain session.
      if (t.startsWith("\\")) continue;
      Matcher set = SET.matcher(line);
      boolean configCall = line.startsWith("SELECT pg_catalog.set_config(");
      if (type == null) {
        if (set.matches() || configCall) prologue.add(t);
        continue;
      }
      if (set.matches()) {
        current.put(set.group(1), t);
        continue;
      }
      body.append(line).append('\n');
    }
    if (type != null) entries.add(entry(name, type, schema, settings, body.toString()));
    return new Script(prologue, entries);
  }

  private static Entry entry(String name, String type, String schema, List<String> settings, String body) {
    List<String> statements = new ArrayList<>();
    String text = body.strip();
    if (text.isEmpty()) return new Entry(name, type, schema, settings, statements);
    // Index and constraint definitions are single statements ending a line; trigger, rule and
    // function bodies are not split, since a semicolon at a line end can be inside them.
    if (type.equals("INDEX") || type.equals("CONSTRAINT") || type.equals("FK CONSTRAINT")) {
      for (String s : text.split(";\n")) {
        String st = s.strip();
        if (!st.isEmpty()) statements.add(st.endsWith(";") ? st : st + ";");
      }
    } else {
      statements.add(text);
    }
    return new Entry(name, type, schema, settings, statements);
  }

  /** Work that may run on any session, in any order relative to the other work of its phase. */
  private record Task(String what, List<String> settings, String sql) {}

  /** Builds everything the script describes on the target, on up to {@code sessions} sessions. */
  static void apply(PgEndpoint target, Script script, int sessions) throws SQLException {
    long started = System.currentTimeMillis();
    try (Connection main = target.connect()) {
      prepare(main, script.prologue(), false);
      List<Task> indexes = new ArrayList<>();
      List<Task> serial = new ArrayList<>();
      List<Task> later = new ArrayList<>();
      List<Task> validations = new ArrayList<>();
      for (Entry e : script.entries()) {
        switch (e.type()) {
          case "INDEX" -> {
            if (!relationExists(main, e.schema(), e.name())) {
              indexes.add(new Task("index " + e.name(), e.settings(), e.statements().get(0)));
            }
            for (String rest : e.statements().subList(1, e.statements().size())) {
              later.add(new Task("index " + e.name(), e.settings(), rest));
            }
          }
          case "CONSTRAINT" -> planConstraint(main, e, indexes, serial, later);
          case "FK CONSTRAINT" -> planForeignKey(main, e, serial, validations);
          default -> {
            if (!exists(main, e)) serial.add(new Task(e.type().toLowerCase() + " " + e.name(), e.settings(),
                String.join("\n", e.statements())));
          }
        }
      }
      runParallel(target, script.prologue(), indexes, sessions, true);
      long indexed = System.currentTimeMillis();
      for (Task t : serial) run(main, t);
      for (Task t : later) run(main, t);
      runParallel(target, script.prologue(), validations, sessions, false);
      log.info("post-data on {}: {} indexes built on up to {} sessions in {} ms, {} further statements,"
              + " {} foreign keys validated, {} ms in all", target, indexes.size(), sessions, indexed - started,
          serial.size() + later.size(), validations.size(), System.currentTimeMillis() - started);
    }
  }

  /**
   * A primary key or unique constraint on a plain table becomes a unique index built with the
   * others and a quick ADD CONSTRAINT ... USING INDEX, which only takes over the index. Anything
   * else (partitioned tables, INCLUDE or WITH options, exclusion constraints) runs as dumped.
   */
  private static void planConstraint(Connection main, Entry e, List<Task> indexes, List<Task> serial,
      List<Task> later) throws SQLException {
    String first = e.statements().get(0);
    String what = "constraint " + e.name();
    if (!exists(main, e)) {
      Matcher m = KEY_CONSTRAINT.matcher(first);
      if (m.matches() && "r".equals(relkind(main, m.group(1)))) {
        String table = m.group(1);
        String constraint = m.group(2);
        if (!relationExists(main, e.schema(), unquote(constraint))) {
          indexes.add(new Task(what, e.settings(),
              "CREATE UNIQUE INDEX " + constraint + " ON " + table + " USING btree " + m.group(4) + ";"));
        }
        serial.add(new Task(what, e.settings(), "ALTER TABLE ONLY " + table + " ADD CONSTRAINT " + constraint
            + " " + m.group(3) + " USING INDEX " + constraint + m.group(5) + ";"));
      } else {
        serial.add(new Task(what, e.settings(), first));
      }
    }
    for (String rest : e.statements().subList(1, e.statements().size())) later.add(new Task(what, e.settings(), rest));
  }

  /**
   * A foreign key on a plain table is added NOT VALID (no scan, a brief lock) and validated
   * afterwards; validations take locks that do not block each other, so they run in parallel.
   * One the source itself holds NOT VALID stays so.
   */
  private static void planForeignKey(Connection main, Entry e, List<Task> serial, List<Task> validations)
      throws SQLException {
    String sql = e.statements().get(0);
    Matcher m = FOREIGN_KEY.matcher(sql);
    boolean deferValidation = m.matches() && !sql.endsWith(" NOT VALID;") && "r".equals(relkind(main, m.group(1)));
    String what = "foreign key " + e.name();
    Boolean validated = constraintValidated(main, e);
    if (validated == null) {
      serial.add(new Task(what, e.settings(),
          deferValidation ? sql.substring(0, sql.length() - 1) + " NOT VALID;" : sql));
    }
    if (deferValidation && !Boolean.TRUE.equals(validated)) {
      validations.add(new Task(what, e.settings(),
          "ALTER TABLE " + m.group(1) + " VALIDATE CONSTRAINT " + m.group(2) + ";"));
    }
    for (String rest : e.statements().subList(1, e.statements().size())) serial.add(new Task(what, e.settings(), rest));
  }

  private static void runParallel(PgEndpoint target, List<String> prologue, List<Task> tasks, int sessions,
      boolean building) throws SQLException {
    if (tasks.isEmpty()) return;
    int n = Math.max(1, Math.min(sessions, tasks.size()));
    LinkedBlockingQueue<Task> queue = new LinkedBlockingQueue<>(tasks);
    AtomicReference<SQLException> failure = new AtomicReference<>();
    ExecutorService pool = Executors.newFixedThreadPool(n, r -> {
      Thread t = new Thread(r, "phaseshift-post-data");
      t.setDaemon(true);
      return t;
    });
    try {
      List<Future<?>> futures = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        futures.add(pool.submit(() -> {
          try (Connection c = target.connect()) {
            prepare(c, prologue, building);
            Task t;
            while (failure.get() == null && (t = queue.poll()) != null) run(c, t);
          } catch (SQLException e) {
            failure.compareAndSet(null, e);
          }
          return null;
        }));
      }
      for (Future<?> f : futures) {
        try {
          f.get();
        } catch (ExecutionException e) {
          if (e.getCause() instanceof RuntimeException r) throw r;
          throw new IllegalStateException(e.getCause());
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new IllegalStateException("interrupted while building indexes", e);
        }
      }
    } finally {
      pool.shutdownNow();
    }
    if (failure.get() != null) throw failure.get();
  }

  private static void prepare(Connection c, List<String> prologue, boolean building) throws SQLException {
    for (String set : prologue) Sql.exec(c, set);
    // A lost commit loses the index with it, and the retry builds it again.
    Sql.exec(c, "SET synchronous_commit = off");
    if (building) {
      Long current = Sql.one(c, "SELECT pg_size_bytes(current_setting('maintenance_work_mem'))",
          rs -> rs.getLong(1));
      if (current != null && current < MAINTENANCE_WORK_MEM_MB * 1024 * 1024) {
        Sql.exec(c, "SET maintenance_work_mem = '" + MAINTENANCE_WORK_MEM_MB + "MB'");
      }
    }
  }

  private static void run(Connection c, Task t) throws SQLException {
    for (String set : t.settings()) Sql.exec(c, set);
    try {
      Sql.exec(c, t.sql());
    } catch (SQLException e) {
      throw new SQLException(t.what() + ": " + e.getMessage(), e.getSQLState(), e);
    }
  }

  private static boolean relationExists(Connection c, String schema, String name) throws SQLException {
    return Boolean.TRUE.equals(Sql.one(c, "SELECT EXISTS (SELECT 1 FROM pg_class r JOIN pg_namespace n"
        + " ON n.oid = r.relnamespace WHERE n.nspname = ? AND r.relname = ?)", rs -> rs.getBoolean(1), schema, name));
  }

  private static String relkind(Connection c, String qualified) throws SQLException {
    return Sql.one(c, "SELECT relkind::text FROM pg_class WHERE oid = to_regclass(?)", rs -> rs.getString(1),
        qualified);
  }

  /** The dump's tag for a table's constraint, trigger, rule or policy is "table object". */
  private static Boolean constraintValidated(Connection c, Entry e) throws SQLException {
    return Sql.one(c, "SELECT k.convalidated FROM pg_constraint k JOIN pg_class r ON r.oid = k.conrelid"
        + " JOIN pg_namespace n ON n.oid = r.relnamespace WHERE k.conname = ANY(?::text[]) AND n.nspname = ?"
        + " AND r.relname || ' ' || k.conname = ?",
        rs -> rs.getBoolean(1), nameCandidates(e.name()), e.schema(), e.name());
  }

  /**
   * Whether the entry's object is on the target already. Kinds this does not know (comments, row
   * security switches) are statements that may simply run again.
   */
  private static boolean exists(Connection c, Entry e) throws SQLException {
    String sql = switch (e.type()) {
      case "CONSTRAINT", "CHECK CONSTRAINT" -> "SELECT EXISTS (SELECT 1 FROM pg_constraint k"
          + " JOIN pg_class r ON r.oid = k.conrelid JOIN pg_namespace n ON n.oid = r.relnamespace"
          + " WHERE k.conname = ANY(?::text[]) AND n.nspname = ? AND r.relname || ' ' || k.conname = ?)";
      case "TRIGGER" -> "SELECT EXISTS (SELECT 1 FROM pg_trigger g JOIN pg_class r ON r.oid = g.tgrelid"
          + " JOIN pg_namespace n ON n.oid = r.relnamespace WHERE n.nspname = ? AND r.relname || ' ' || g.tgname = ?)";
      case "RULE" -> "SELECT EXISTS (SELECT 1 FROM pg_rewrite w JOIN pg_class r ON r.oid = w.ev_class"
          + " JOIN pg_namespace n ON n.oid = r.relnamespace WHERE n.nspname = ? AND r.relname || ' ' || w.rulename = ?)";
      case "POLICY" -> "SELECT EXISTS (SELECT 1 FROM pg_policy p JOIN pg_class r ON r.oid = p.polrelid"
          + " JOIN pg_namespace n ON n.oid = r.relnamespace WHERE n.nspname = ? AND r.relname || ' ' || p.polname = ?)";
      case "STATISTICS" -> "SELECT EXISTS (SELECT 1 FROM pg_statistic_ext s JOIN pg_namespace n"
          + " ON n.oid = s.stxnamespace WHERE n.nspname = ? AND s.stxname = ?)";
      case "INDEX ATTACH" -> "SELECT EXISTS (SELECT 1 FROM pg_inherits i JOIN pg_class r ON r.oid = i.inhrelid"
          + " JOIN pg_namespace n ON n.oid = r.relnamespace WHERE n.nspname = ? AND r.relname = ?)";
      case "EVENT TRIGGER" -> "SELECT EXISTS (SELECT 1 FROM pg_event_trigger WHERE ? IS NOT NULL AND evtname = ?)";
      default -> null;
    };
    if (sql == null) return false;
    if (sql.contains("ANY(?::text[])")) {
      return Boolean.TRUE.equals(Sql.one(c, sql, rs -> rs.getBoolean(1), nameCandidates(e.name()), e.schema(), e.name()));
    }
    return Boolean.TRUE.equals(Sql.one(c, sql, rs -> rs.getBoolean(1), e.schema(), e.name()));
  }

  /**
   * The constraint names a dump tag "table constraint" can end with (either name may hold spaces),
   * as an array literal. Matching {@code conname} against them uses the catalog's index; matching
   * the concatenated tag alone scans every constraint, once per constraint: minutes for 10,000 tables.
   */
  static String nameCandidates(String tag) {
    StringBuilder array = new StringBuilder("{");
    for (int i = tag.indexOf(' '); i >= 0; i = tag.indexOf(' ', i + 1)) {
      if (array.length() > 1) array.append(',');
      array.append('"').append(tag.substring(i + 1).replace("\\", "\\\\").replace("\"", "\\\"")).append('"');
    }
    return array.append('}').toString();
  }

  /** pg_dump quotes identifiers only where needed; the catalogs hold them unquoted. */
  static String unquote(String ident) {
    if (ident.length() >= 2 && ident.startsWith("\"") && ident.endsWith("\"")) {
      return ident.substring(1, ident.length() - 1).replace("\"\"", "\"");
    }
    return ident;
  }
}
