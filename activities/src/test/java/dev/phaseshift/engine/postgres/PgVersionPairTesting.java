package dev.phaseshift.engine.postgres;

import dev.phaseshift.testing.PgPair;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInstance;

/**
 * A test class on one pair of servers whose majors a subclass may choose, so that the same checks
 * run across versions (skipped, saying why, where this machine lacks a major).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class PgVersionPairTesting {
  PgPair pair;
  PgTools tools;

  /** The source's and the target's PostgreSQL majors. */
  int[] majors() {
    return new int[] {15, 15};
  }

  @BeforeAll
  void startPair() {
    pair = PgPair.ofOrSkip(majors()[0], majors()[1]);
    tools = PgTools.detect();
  }

  @AfterAll
  void stopPair() {
    if (pair != null) pair.close();
  }
}
