package dev.phaseshift.engine.postgres;

/**
 * The non-superuser target role on PostgreSQL 18 (18, 18): from 16 acting as another role needs
 * membership with the SET option, and a CREATEROLE role's own grant on the roles it creates
 * has neither SET nor INHERIT. The test server of 18 logs to a file the test reads.
 */
class PgNonSuperuserTarget18To18Test extends PgNonSuperuserTargetTest {
  @Override
  int[] majors() {
    return new int[] {18, 18};
  }
}
