package dev.phaseshift.router;

import static dev.phaseshift.testing.Queries.exec;
import static dev.phaseshift.testing.Queries.number;
import static dev.phaseshift.testing.Queries.text;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.phaseshift.engine.postgres.PgTools;
import dev.phaseshift.model.MigrationStatus;
import dev.phaseshift.model.Phase;
import dev.phaseshift.plan.MigrationPlan;
import dev.phaseshift.plan.VerificationPolicy;
import dev.phaseshift.plan.RouterConfig;
import dev.phaseshift.testing.MigrationRuns;
import dev.phaseshift.testing.PgPair;
import dev.phaseshift.workflow.MigrationWorkflow;
import io.temporal.testing.TestWorkflowEnvironment;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An application that owns its schema and logs in with its own password moves with everything it
 * needs, whatever kind of object it keeps (types, partitions, rules, statistics, collations, text
 * search, operators, aggregates, procedures, an extension, a materialized view, an unlogged table, a
 * large object): its roles (attributes, password, memberships, settings), owners, grants (column grants
 * and default privileges too), row-level security and the database's settings and privileges.
 * After a whole migration through PgBouncer, the application role writes to the new primary with
 * its own credentials, where a password is required, and pg_dump (owners and privileges included)
 * and pg_dumpall --roles-only read the same on both servers.
 */
class RoleFidelityTest {
  private static final String PASSWORD = "app-Secret-7";
  private static final Pattern SHOP_ROLES = Pattern.compile("\\b(shop_app|shop_ro|shop_reader)\\b");

  @TempDir Path dir;
  PgPair pairs;
  PgBouncerProcess bouncer;
  TestWorkflowEnvironment env;

  @BeforeEach
  void start() throws Exception {
    // -Dphaseshift.fidelityTarget=18 runs the scenario as an upgrade (CI runs 15 -> 15).
    pairs = PgPair.of(15, Integer.getInteger("phaseshift.fidelityTarget", 15));
    try (Connection s = pairs.source()) {
      exec(s,
          "CREATE ROLE shop_app LOGIN PASSWORD '" + PASSWORD + "' CONNECTION LIMIT 40",
          "CREATE ROLE shop_ro NOLOGIN",
          "CREATE ROLE shop_reader LOGIN IN ROLE shop_ro",
          "ALTER ROLE shop_app SET search_path = shop, public",
          "ALTER ROLE shop_reader IN DATABASE app SET statement_timeout = '5s'",
          "ALTER DATABASE app SET work_mem = '8MB'",
          "REVOKE CONNECT, TEMPORARY ON DATABASE app FROM PUBLIC",
          "GRANT CONNECT ON DATABASE app TO shop_app, shop_ro",
          "CREATE SCHEMA shop AUTHORIZATION shop_app",
          "SET ROLE shop_app",
          "CREATE TYPE shop.mood AS ENUM ('ok', 'bad')",
          "CREATE TYPE shop.address AS (street text, city text)",
          "CREATE DOMAIN shop.price AS numeric(10, 2) CHECK (VALUE >= 0)",
          "CREATE TABLE shop.customers (id bigserial PRIMARY KEY, name text NOT NULL, note text, mood shop.mood,"
              + " home shop.address, tenant text NOT NULL DEFAULT current_user)",
          "CREATE TABLE shop.orders (id bigserial PRIMARY KEY, customer_id bigint REFERENCES shop.customers,"
              + " total shop.price)",
          "CREATE VIEW shop.customer_names AS SELECT id, name FROM shop.customers",
          "CREATE SEQUENCE shop.tickets",
          "CREATE FUNCTION shop.order_count() RETURNS bigint LANGUAGE sql SECURITY DEFINER"
              + " AS 'SELECT count(*) FROM shop.orders'",
          "GRANT USAGE ON SCHEMA shop TO shop_ro",
          "GRANT SELECT ON shop.customer_names TO shop_ro",
          "GRANT SELECT (id, name) ON shop.customers TO shop_ro",
          "REVOKE EXECUTE ON FUNCTION shop.order_count() FROM PUBLIC",
          "GRANT EXECUTE ON FUNCTION shop.order_count() TO shop_ro",
          "ALTER DEFAULT PRIVILEGES IN SCHEMA shop GRANT SELECT ON TABLES TO shop_ro",
          "ALTER TABLE shop.customers ENABLE ROW LEVEL SECURITY",
          "ALTER TABLE shop.customers FORCE ROW LEVEL SECURITY",
          "CREATE POLICY own_rows ON shop.customers TO shop_app USING (tenant = current_user)",
          // The other kinds of object an application owns, each of which moves its own way.
          "CREATE TABLE shop.\"Order Lines\" (order_id bigint REFERENCES shop.orders DEFERRABLE INITIALLY DEFERRED,"
              + " \"Line No\" int, sku uuid, attrs jsonb, blob bytea, tags text[], qty int4range, at timestamptz,"
              + " ip inet, span interval, ok boolean, PRIMARY KEY (order_id, \"Line No\"))",
          "CREATE TABLE shop.events (id bigint, at date NOT NULL, what text, PRIMARY KEY (id, at)) PARTITION BY RANGE (at)",
          "CREATE TABLE shop.events_2025 PARTITION OF shop.events FOR VALUES FROM ('2025-01-01') TO ('2026-01-01')",
          "CREATE TABLE shop.events_2026 PARTITION OF shop.events FOR VALUES FROM ('2026-01-01') TO ('2027-01-01')",
          "CREATE TABLE shop.bookings (id bigserial PRIMARY KEY, during tstzrange NOT NULL,"
              + " EXCLUDE USING gist (during WITH &&))",
          "CREATE FUNCTION shop.touch() RETURNS trigger LANGUAGE plpgsql AS"
              + " $$BEGIN NEW.note := coalesce(NEW.note, 'touched'); RETURN NEW; END$$",
          "CREATE TRIGGER touch BEFORE INSERT ON shop.customers FOR EACH ROW EXECUTE FUNCTION shop.touch()",
          "CREATE MATERIALIZED VIEW shop.orders_per_customer AS SELECT customer_id, count(*) AS n FROM shop.orders"
              + " GROUP BY customer_id",
          "CREATE UNLOGGED TABLE shop.sessions (token text PRIMARY KEY, seen timestamptz)",
          "SELECT lo_from_bytea(0, convert_to('a large object of shop_app', 'UTF8'))",
          "COMMENT ON TABLE shop.customers IS 'who buys'",
          "CREATE COLLATION shop.bytewise (locale = 'C')",
          "CREATE STATISTICS shop.orders_stats (dependencies) ON customer_id, total FROM shop.orders",
          "CREATE RULE keep_names AS ON DELETE TO shop.customer_names DO INSTEAD NOTHING",
          "CREATE TEXT SEARCH CONFIGURATION shop.plain (COPY = pg_catalog.simple)",
          "CREATE AGGREGATE shop.total_sum(numeric) (SFUNC = numeric_add, STYPE = numeric)",
          "CREATE PROCEDURE shop.noop() LANGUAGE sql AS 'SELECT 1'",
          "CREATE OPERATOR shop.=== (LEFTARG = int, RIGHTARG = int, FUNCTION = int4eq)",
          "CREATE TABLE shop.audit (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, body text COLLATE"
              + " shop.bytewise, len int GENERATED ALWAYS AS (length(body)) STORED, CHECK (len < 1000))",
          "RESET ROLE",
          "CREATE EXTENSION citext SCHEMA shop",
          "CREATE TABLE shop.emails (address shop.citext PRIMARY KEY)",
          "ALTER TABLE shop.emails OWNER TO shop_app",
          "INSERT INTO shop.customers (name, mood, tenant) SELECT 'c' || i, 'ok', CASE WHEN i % 4 = 0"
              + " THEN 'someone_else' ELSE 'shop_app' END FROM generate_series(1, 400) i",
          "INSERT INTO shop.orders (customer_id, total) SELECT 1 + i % 400, i FROM generate_series(1, 1000) i",
          "INSERT INTO shop.\"Order Lines\" SELECT i, 1, gen_random_uuid(), jsonb_build_object('i', i),"
              + " decode(md5(i::text), 'hex'), ARRAY['a', 'b'], int4range(1, i), now(), '10.0.0.1', '1 hour', true"
              + " FROM generate_series(1, 200) i",
          "INSERT INTO shop.events SELECT i, date '2025-06-01' + i, 'e' FROM generate_series(1, 300) i",
          "INSERT INTO shop.bookings (during) SELECT tstzrange(now() + i * interval '1 hour',"
              + " now() + (i + 1) * interval '1 hour') FROM generate_series(1, 20) i",
          "INSERT INTO shop.sessions SELECT 't' || i, now() FROM generate_series(1, 50) i",
          "INSERT INTO shop.audit (body) SELECT 'entry ' || i FROM generate_series(1, 30) i",
          "INSERT INTO shop.emails VALUES ('Ann@Example.com')",
          "REFRESH MATERIALIZED VIEW shop.orders_per_customer");
    }
    // The new server asks the application role for its password; everyone else is trusted, as before.
    try (Connection t = pairs.target.connect("postgres")) {
      exec(t, "COPY (VALUES ('host all shop_app 127.0.0.1/32 scram-sha-256'), ('host all all 127.0.0.1/32 trust'),"
          + " ('host replication all 127.0.0.1/32 trust'), ('local all all trust'))"
          + " TO '" + text(t, "SHOW hba_file") + "'", "SELECT pg_reload_conf()");
    }
    bouncer = PgBouncerProcess.start(dir, "transaction", List.of("\"shop_app\" \"" + PASSWORD + "\""),
        "app = host=127.0.0.1 port=" + pairs.source.port() + " dbname=" + PgPair.DATABASE);
    env = MigrationRuns.environment();
  }

  @AfterEach
  void stop() throws Exception {
    if (env != null) env.close();
    if (bouncer != null) bouncer.close();
    if (pairs != null) pairs.close();
  }

  @Test
  void theApplicationRoleWorksOnTheNewPrimaryAndDumpsWithOwnersAndPrivilegesAgree() throws Exception {
    MigrationPlan p = pairs.plan("role-fidelity");
    MigrationPlan plan = new MigrationPlan(p.name(), p.source(), p.target(), p.tables(), p.copyParallelism(),
        p.cutover(), false, p.retention(), p.requestedBy(), null, null,
        new RouterConfig(RouterConfig.PGBOUNCER, bouncer.adminUrl(), "postgres", null, PgPair.DATABASE,
            bouncer.ini.toString()), null, true, null, null).withVerification(VerificationPolicy.off()).withDefaults()
        .withAssessmentSample("0s");
    try (Connection app = asApplication()) {
      assertEquals(pairs.source.port(), number(app, "SELECT inet_server_port()"));
    }

    MigrationWorkflow workflow = MigrationRuns.start(env, plan);
    MigrationStatus status = MigrationRuns.awaitStatus(workflow, Duration.ofSeconds(240),
        s -> s.phase() == Phase.RECOVERY || s.phase() == Phase.FAILED);
    assertEquals(Phase.RECOVERY, status.phase(), status.error() + "\n" + status.validation());
    assertTrue(status.validation().passed(), "validation compares roles, owners and privileges: "
        + status.validation().schemaDifferences());

    try (Connection app = asApplication()) {
      assertEquals(pairs.target.port(), number(app, "SELECT inet_server_port()"), "PgBouncer points at the target");
      assertEquals("shop, public", text(app, "SHOW search_path"), "the role's own setting came along");
      assertEquals("8MB", text(app, "SHOW work_mem"), "the database's setting came along");
      // Unqualified, through the role's search_path; the policy still applies to the owner (FORCE).
      exec(app, "INSERT INTO customers (name, mood) VALUES ('after the switch', 'bad')");
      assertEquals(301, number(app, "SELECT count(*) FROM customers"), "row-level security applies as before");
      assertEquals(1000, number(app, "SELECT order_count()"));
    }
    try (Connection t = pairs.target()) {
      assertEquals(401, number(t, "SELECT count(*) FROM shop.customers"), "the write is on the new primary");
      assertEquals("shop_app", text(t, "SELECT tableowner FROM pg_tables WHERE tablename = 'customers'"));
      assertEquals("touched", text(t, "SELECT note FROM shop.customers WHERE name = 'after the switch'"),
          "the trigger fires on the new primary");
      assertEquals(200, number(t, "SELECT count(*) FROM shop.\"Order Lines\""));
      assertEquals(300, number(t, "SELECT count(*) FROM shop.events"), "partitions hold their rows");
      assertEquals(1, number(t, "SELECT count(*) FROM shop.emails WHERE address OPERATOR(shop.=) 'ann@example.COM'"),
          "the extension's type works on the new primary");
      assertEquals(400, number(t, "SELECT count(*) FROM shop.orders_per_customer"), "the materialized view is populated");
      assertEquals("u", text(t, "SELECT relpersistence::text FROM pg_class WHERE relname = 'sessions'"));
      assertEquals(50, number(t, "SELECT count(*) FROM shop.sessions"), "the unlogged table's rows came along");
      assertEquals("a large object of shop_app", text(t, "SELECT convert_from(lo_get(oid), 'UTF8')"
          + " FROM pg_largeobject_metadata WHERE lomowner = 'shop_app'::regrole"));
      SQLException overlap = assertThrows(SQLException.class, () -> exec(t,
          "INSERT INTO shop.bookings (during) SELECT during FROM shop.bookings LIMIT 1"));
      assertEquals("23P01", overlap.getSQLState(), "the exclusion constraint holds on the new primary");
    }
    // The target asks for the password: the right one is the verifier carried from the source.
    try (Connection direct = DriverManager.getConnection(pairs.target.jdbcUrl(PgPair.DATABASE), "shop_app", PASSWORD)) {
      assertEquals("shop_app", text(direct, "SELECT current_user"));
    }
    SQLException wrong = assertThrows(SQLException.class,
        () -> DriverManager.getConnection(pairs.target.jdbcUrl(PgPair.DATABASE), "shop_app", "not-it").close());
    assertEquals("28P01", wrong.getSQLState(), wrong.getMessage());
    try (Connection reader = DriverManager.getConnection(pairs.target.jdbcUrl(PgPair.DATABASE), "shop_reader", "")) {
      assertEquals("5s", text(reader, "SHOW statement_timeout"), "a role's setting in this database");
      // Granted columns are readable (the policy is for shop_app, so no row is visible), others are not.
      assertEquals(0, number(reader, "SELECT count(name) FROM shop.customers"));
      assertEquals(1000, number(reader, "SELECT shop.order_count()"), "EXECUTE granted to the group");
      SQLException denied = assertThrows(SQLException.class,
          () -> number(reader, "SELECT count(note) FROM shop.customers"));
      assertEquals("42501", denied.getSQLState(), "the column grant stays a column grant");
    }

    PgTools tools = PgTools.detect();
    List<String> dumpArgs = List.of("--schema-only", "--no-publications", "--no-subscriptions",
        "--exclude-schema=phaseshift");
    List<String> sourceSchema = PgTools.schemaLines(tools.run(command(tools, "pg_dump", dumpArgs),
        libpq(pairs.source.port(), PgPair.DATABASE), null).stdout());
    List<String> targetSchema = PgTools.schemaLines(tools.run(command(tools, "pg_dump", dumpArgs),
        libpq(pairs.target.port(), PgPair.DATABASE), null).stdout());
    assertTrue(sourceSchema.stream().anyMatch(l -> l.contains("OWNER TO shop_app")), String.join("\n", sourceSchema));
    assertTrue(sourceSchema.stream().anyMatch(l -> l.contains("ALTER DEFAULT PRIVILEGES")),
        "default privileges dumped");
    if (pairs.source.major() != pairs.target.major()) {
      sourceSchema = PgTools.acrossMajors(sourceSchema);
      targetSchema = PgTools.acrossMajors(targetSchema);
    }
    assertEquals(sourceSchema, targetSchema, "pg_dump with owners and privileges reads the same on both servers");

    List<String> sourceRoles = roleLines(tools, pairs.source.port());
    List<String> targetRoles = roleLines(tools, pairs.target.port());
    assertTrue(sourceRoles.stream().anyMatch(l -> l.contains("PASSWORD 'SCRAM-SHA-256$")),
        String.join("\n", sourceRoles));
    if (pairs.source.major() != pairs.target.major()) {
      // PostgreSQL 16 prints a membership's options (INHERIT, GRANTED BY) that 15 has no words for.
      targetRoles = targetRoles.stream().map(l -> l.replaceAll(" WITH INHERIT TRUE| GRANTED BY \\w+", "")).toList();
    }
    assertEquals(sourceRoles, targetRoles, "pg_dumpall --roles-only agrees on the roles the database uses");

    // The default privileges work on the new primary: a table the application creates is readable by the group.
    try (Connection app = asApplication()) {
      exec(app, "CREATE TABLE shop.coupons (code text PRIMARY KEY)", "INSERT INTO shop.coupons VALUES ('WELCOME')");
    }
    try (Connection reader = DriverManager.getConnection(pairs.target.jdbcUrl(PgPair.DATABASE), "shop_reader", "")) {
      assertEquals("WELCOME", text(reader, "SELECT code FROM shop.coupons"));
    }
  }

  /** pg_dumpall --roles-only's lines about the shop's roles, as this cluster has them. */
  private static List<String> roleLines(PgTools tools, int port) {
    String out = tools.run(command(tools, "pg_dumpall", List.of("--roles-only")), libpq(port, "postgres"), null)
        .stdout();
    return PgTools.schemaLines(out).stream().filter(l -> SHOP_ROLES.matcher(l).find()).sorted().toList();
  }

  private static List<String> command(PgTools tools, String tool, List<String> args) {
    Path bin = tools.installations().get(0).pgDump().getParent();
    List<String> command = new java.util.ArrayList<>(List.of(bin.resolve(tool).toString()));
    command.addAll(args);
    return command;
  }

  private static Map<String, String> libpq(int port, String database) {
    return Map.of("PGHOST", "127.0.0.1", "PGPORT", Integer.toString(port), "PGUSER", "postgres",
        "PGDATABASE", database);
  }

  /** The application as it connects: through PgBouncer, as its own role. */
  private Connection asApplication() throws SQLException {
    Properties p = new Properties();
    p.setProperty("user", "shop_app");
    p.setProperty("password", PASSWORD);
    p.setProperty("ApplicationName", "shop-api");
    return DriverManager.getConnection(bouncer.jdbcUrl(PgPair.DATABASE), p);
  }
}
