package dev.phaseshift.engine.postgres;

import dev.phaseshift.testing.PgPair;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/**
 * Engine tests against one pair of real PostgreSQL servers per test class (starting them takes
 * seconds, so the tests of a class share them and reset the databases themselves).
 */
abstract class PgPairTest {
  static PgPair pairs;
  static PgTools tools;

  @BeforeAll
  static void startServers() {
    pairs = new PgPair();
    tools = PgTools.detect();
  }

  @AfterAll
  static void stopServers() {
    if (pairs != null) pairs.close();
    pairs = null;
  }
}
