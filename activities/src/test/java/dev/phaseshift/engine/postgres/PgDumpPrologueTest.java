package dev.phaseshift.engine.postgres;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Set;
import org.junit.jupiter.api.Test;

/** pg_dump 17+'s opening settings restored on an older target: unknown ones go, objects stay whole. */
class PgDumpPrologueTest {
  private static final String DUMP = String.join("\n",
      "--",
      "-- PostgreSQL database dump",
      "--",
      "SET statement_timeout = 0;",
      "SET transaction_timeout = 0;",
      "SET client_encoding = 'UTF8';",
      "SELECT pg_catalog.set_config('search_path', '', false);",
      "",
      "--",
      "-- Name: f(); Type: FUNCTION; Schema: public; Owner: -",
      "--",
      "CREATE FUNCTION public.f() RETURNS void LANGUAGE plpgsql AS $$",
      "BEGIN",
      "SET transaction_timeout = 0;",
      "END $$;",
      "");

  @Test
  void dropsOnlyOpeningSettingsTheTargetLacks() {
    String fitted = PgDumpPrologue.forTarget(DUMP, Set.of("statement_timeout", "client_encoding", "search_path"));
    assertEquals(DUMP.replaceFirst("SET transaction_timeout = 0;\n", ""), fitted);
  }

  @Test
  void onlyScriptsWithSessionSettingsAreFitted() {
    assertEquals(true, PgDumpPrologue.setsSession(DUMP));
    assertEquals(false, PgDumpPrologue.setsSession("CREATE TABLE t (id int);\nINSERT INTO t VALUES (1);\n"));
  }

  @Test
  void keepsEverythingForATargetThatKnowsEverySetting() {
    assertEquals(DUMP, PgDumpPrologue.forTarget(DUMP,
        Set.of("statement_timeout", "transaction_timeout", "client_encoding")));
  }
}
