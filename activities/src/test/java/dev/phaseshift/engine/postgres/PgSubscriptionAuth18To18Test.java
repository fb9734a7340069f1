package dev.phaseshift.engine.postgres;

/**
 * The subscriptions' credentials with a PostgreSQL 18 subscriber (18, 18): from 16 a subscription
 * without a password needs {@code password_required = false}, and the test server of 18 runs as
 * another OS user than the worker when the tests run as root, so the password file must be its.
 */
class PgSubscriptionAuth18To18Test extends PgSubscriptionAuthTest {
  @Override
  int[] majors() {
    return new int[] {18, 18};
  }
}
