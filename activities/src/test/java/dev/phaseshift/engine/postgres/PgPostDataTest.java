package dev.phaseshift.engine.postgres;

import static dev.phaseshift.engine.postgres.PgTestSupport.count;
import static dev.phaseshift.engine.postgres.PgTestSupport.exec;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.phaseshift.plan.MigrationPlan;
import java.sql.Connection;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The parallel post-data build: the same schema as pg_dump's script gives, and retries that resume. */
class PgPostDataTest extends PgPairTest {
  @BeforeEach
  void reset() throws Exception {
    pairs.resetDatabases();
    try (Connection s = pairs.source()) {
      exec(s,
          "CREATE SCHEMA \"Odd Schema\"",
          "CREATE TABLE accounts (id bigint PRIMARY KEY, email text NOT NULL, code int NOT NULL,"
              + " CONSTRAINT accounts_code_key UNIQUE (code) DEFERRABLE INITIALLY DEFERRED)",
          "CREATE UNIQUE INDEX accounts_email_lower ON accounts (lower(email))",
          "ALTER TABLE accounts REPLICA IDENTITY USING INDEX accounts_pkey",
          "CREATE TABLE \"Odd Schema\".\"Line Items\" (\"Id\" bigint NOT NULL, account_id bigint NOT NULL,"
              + " qty int, during tstzrange,"
              + " CONSTRAINT \"Line Items_pkey\" PRIMARY KEY (\"Id\") WITH (fillfactor = 90),"
              + " CONSTRAINT no_overlap EXCLUDE USING gist (during WITH &&))",
          "ALTER TABLE \"Odd Schema\".\"Line Items\" ADD CONSTRAINT items_account_fk FOREIGN KEY (account_id)"
              + " REFERENCES accounts (id) ON DELETE CASCADE",
          "CREATE INDEX items_qty ON \"Odd Schema\".\"Line Items\" (qty) WHERE qty > 0",
          "CREATE INDEX items_account ON \"Odd Schema\".\"Line Items\" (account_id)",
          "CLUSTER \"Odd Schema\".\"Line Items\" USING items_account",
          "COMMENT ON INDEX \"Odd Schema\".items_qty IS 'partial index for positive quantities'",
          "CREATE TABLE events (id bigint NOT NULL, region int NOT NULL, account_id bigint) PARTITION BY LIST (region)",
          "CREATE TABLE events_1 PARTITION OF events FOR VALUES IN (1)",
          "CREATE TABLE events_2 PARTITION OF events FOR VALUES IN (2)",
          "ALTER TABLE events ADD PRIMARY KEY (id, region)",
          "CREATE INDEX events_account ON events (account_id)",
          "ALTER TABLE events ADD CONSTRAINT events_account_fk FOREIGN KEY (account_id) REFERENCES accounts (id)",
          "ALTER TABLE accounts ADD CONSTRAINT accounts_self_check CHECK (id > 0) NOT VALID",
          "CREATE TABLE stale_refs (id int PRIMARY KEY, account_id bigint)",
          // A row breaking the key: validating it on the target would fail.
          "INSERT INTO stale_refs VALUES (1, 999999)",
          "ALTER TABLE stale_refs ADD CONSTRAINT stale_fk FOREIGN KEY (account_id) REFERENCES accounts (id) NOT VALID",
          "CREATE STATISTICS accounts_stats (dependencies) ON email, code FROM accounts",
          "CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$",
          "CREATE TRIGGER accounts_touch BEFORE UPDATE ON accounts FOR EACH ROW EXECUTE FUNCTION touch()",
          "ALTER TABLE accounts ENABLE ROW LEVEL SECURITY",
          "CREATE POLICY accounts_all ON accounts USING (true)",
          "CREATE RULE stale_refs_ignore AS ON DELETE TO stale_refs WHERE old.id < 0 DO INSTEAD NOTHING",
          "INSERT INTO accounts SELECT g, 'a' || g || '@example.com', g FROM generate_series(1, 2000) g",
          "INSERT INTO \"Odd Schema\".\"Line Items\" SELECT g, 1 + g % 2000, g % 5,"
              + " tstzrange(timestamptz '2024-01-01 00:00+00' + g * interval '1 hour',"
              + " timestamptz '2024-01-01 00:00+00' + (g + 1) * interval '1 hour')"
              + " FROM generate_series(1, 5000) g",
          "INSERT INTO events SELECT g, 1 + g % 2, 1 + g % 2000 FROM generate_series(1, 3000) g");
    }
  }

  /** Tables and rows on the target as the bulk copy leaves them: no indexes or constraints yet. */
  private MigrationPlan copiedWithoutIndexes(String name) throws Exception {
    MigrationPlan plan = pairs.plan(name);
    new PgSchemaCopier(tools).createTables(plan);
    try (Connection s = pairs.source(); Connection t = pairs.target()) {
      for (String table : List.of("accounts", "\"Odd Schema\".\"Line Items\"", "events", "stale_refs")) {
        var out = new java.io.ByteArrayOutputStream();
        s.unwrap(org.postgresql.PGConnection.class).getCopyAPI().copyOut("COPY (SELECT * FROM " + table + ") TO STDOUT", out);
        t.unwrap(org.postgresql.PGConnection.class).getCopyAPI()
            .copyIn("COPY " + table + " FROM STDIN", new java.io.ByteArrayInputStream(out.toByteArray()));
      }
    }
    return plan;
  }

  @Test
  void parallelBuildGivesTheSourceSchema() throws Exception {
    MigrationPlan plan = copiedWithoutIndexes("post-data-all");
    new PgSchemaCopier(tools).createIndexesAndConstraints(plan);

    assertEquals(PgTestSupport.lines(PgTestSupport.schema(tools, PgEndpoint.source(plan))),
        PgTestSupport.lines(PgTestSupport.schema(tools, PgEndpoint.target(plan))));
    try (Connection t = pairs.target()) {
      assertEquals(0, count(t, "SELECT count(*) FROM pg_index WHERE NOT indisvalid"
          + " AND indrelid IN (SELECT oid FROM pg_class WHERE relkind = 'r')"), "every index on a table is valid");
      assertEquals(1, count(t, "SELECT count(*) FROM pg_constraint WHERE conname = 'accounts_pkey'"
          + " AND conindid = 'public.accounts_pkey'::regclass"), "the primary key took over its index");
      assertEquals(1, count(t, "SELECT count(*) FROM pg_constraint WHERE conname = 'stale_fk' AND NOT convalidated"),
          "a foreign key the source holds NOT VALID stays so");
      assertEquals(1, count(t, "SELECT count(*) FROM pg_constraint WHERE conname = 'items_account_fk' AND convalidated"));
    }
  }

  @Test
  void retryAfterAPartialBuildSkipsWhatExists() throws Exception {
    MigrationPlan plan = copiedWithoutIndexes("post-data-retry");
    try (Connection t = pairs.target()) {
      // As an attempt that died part-way leaves it: some indexes built, one primary key's index
      // built but not yet attached, a foreign key added but not validated.
      exec(t, "CREATE INDEX items_qty ON \"Odd Schema\".\"Line Items\" (qty) WHERE qty > 0",
          "CREATE UNIQUE INDEX accounts_pkey ON public.accounts USING btree (id)",
          "CREATE UNIQUE INDEX accounts_code_key ON public.accounts USING btree (code)",
          "ALTER TABLE ONLY public.accounts ADD CONSTRAINT accounts_code_key UNIQUE USING INDEX accounts_code_key"
              + " DEFERRABLE INITIALLY DEFERRED",
          "CREATE UNIQUE INDEX stale_refs_pkey ON public.stale_refs (id)",
          "ALTER TABLE stale_refs ADD CONSTRAINT stale_refs_pkey PRIMARY KEY USING INDEX stale_refs_pkey",
          "ALTER TABLE stale_refs ADD CONSTRAINT stale_fk FOREIGN KEY (account_id) REFERENCES accounts (id) NOT VALID");
    }
    PgSchemaCopier copier = new PgSchemaCopier(tools);
    copier.createIndexesAndConstraints(plan);
    copier.createIndexesAndConstraints(plan);

    assertEquals(PgTestSupport.lines(PgTestSupport.schema(tools, PgEndpoint.source(plan))),
        PgTestSupport.lines(PgTestSupport.schema(tools, PgEndpoint.target(plan))));
    try (Connection t = pairs.target()) {
      assertEquals(1, count(t, "SELECT count(*) FROM pg_indexes WHERE indexname = 'items_qty'"));
      assertEquals(1, count(t, "SELECT count(*) FROM pg_constraint WHERE conname = 'accounts_pkey'"));
    }
  }

  @Test
  void parsesEntriesWithTheSettingsInForceAndDropsPsqlCommands() {
    String dump = String.join("\n",
        "\\restrict abc",
        "SET statement_timeout = 0;",
        "SELECT pg_catalog.set_config('search_path', '', false);",
        "SET default_tablespace = '';",
        "--",
        "-- Name: t t_pkey; Type: CONSTRAINT; Schema: public; Owner: -",
        "--",
        "",
        "ALTER TABLE ONLY public.t",
        "    ADD CONSTRAINT t_pkey PRIMARY KEY (id);",
        "",
        "SET default_tablespace = fast;",
        "",
        "--",
        "-- Name: t_x; Type: INDEX; Schema: public; Owner: -",
        "--",
        "",
        "CREATE INDEX t_x ON public.t USING btree (x);",
        "ALTER TABLE public.t CLUSTER ON t_x;",
        "\\unrestrict abc");
    PgPostData.Script script = PgPostData.parse(dump);
    assertEquals(List.of("SET statement_timeout = 0;", "SELECT pg_catalog.set_config('search_path', '', false);",
        "SET default_tablespace = '';"), script.prologue());
    assertEquals(2, script.entries().size());
    PgPostData.Entry pk = script.entries().get(0);
    assertEquals("t t_pkey", pk.name());
    assertEquals(List.of("ALTER TABLE ONLY public.t\n    ADD CONSTRAINT t_pkey PRIMARY KEY (id);"), pk.statements());
    PgPostData.Entry index = script.entries().get(1);
    assertEquals(List.of("SET default_tablespace = fast;"), index.settings());
    assertEquals(List.of("CREATE INDEX t_x ON public.t USING btree (x);", "ALTER TABLE public.t CLUSTER ON t_x;"),
        index.statements());
    assertTrue(index.statements().stream().noneMatch(s -> s.contains("restrict")));
  }
}
