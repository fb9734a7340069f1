package dev.phaseshift.engine.postgres;

import java.sql.Connection;
import java.sql.SQLException;

/**
 * Validation's own short pause of the target's apply. The subscription is marked (a comment on it)
 * before it is disabled, so a worker that dies inside the pause cannot leave the stream stopped:
 * the next validation, on any worker, recognises the mark and resumes it. A subscription disabled
 * without the mark was paused by the operator and stays paused.
 */
final class PgApplyPause {
  private static final String MARK = "phaseshift: paused for validation";

  /** What the subscription was doing before validation touched it. */
  enum State { APPLYING, PAUSED_BY_OPERATOR, MISSING }

  private PgApplyPause() {}

  /** The subscription's state; one left paused by an earlier validation is resumed first. */
  static State state(Connection t, String subscription) throws SQLException {
    String[] row = Sql.one(t, "SELECT subenabled::text, coalesce(obj_description(oid, 'pg_subscription'), '')"
        + " FROM pg_subscription WHERE subname = ?", rs -> new String[] {rs.getString(1), rs.getString(2)},
        subscription);
    if (row == null) return State.MISSING;
    if ("true".equals(row[0])) return State.APPLYING;
    if (!MARK.equals(row[1])) return State.PAUSED_BY_OPERATOR;
    resume(t, subscription);
    return State.APPLYING;
  }

  /** Marks, disables, and waits until the apply worker has exited. */
  static void pause(Connection t, String subscription, PgEndpoint target) throws SQLException {
    Sql.exec(t, "COMMENT ON SUBSCRIPTION " + Sql.ident(subscription) + " IS " + Sql.literal(MARK));
    PgChangeStream.stopApply(t, subscription, target);
  }

  static void resume(Connection t, String subscription) throws SQLException {
    Sql.exec(t, "ALTER SUBSCRIPTION " + Sql.ident(subscription) + " ENABLE");
    forget(t, subscription);
  }

  /** Removes the mark: whoever disables the subscription from now on is not a validation. */
  static void forget(Connection t, String subscription) throws SQLException {
    Sql.exec(t, "COMMENT ON SUBSCRIPTION " + Sql.ident(subscription) + " IS NULL");
  }
}
