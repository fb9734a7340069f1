package dev.phaseshift.engine.postgres;

import dev.phaseshift.engine.MigrationException;
import dev.phaseshift.plan.MigrationPlan;
import dev.phaseshift.workflow.FailureTypes;
import java.util.List;

/**
 * Right before the switchover freezes the source: it must still be a primary that takes writes.
 * A standby (after a failover the address may reach one), or a database that now receives its
 * data through a subscription (another migration switched away from it and streams back into it)
 * is not where the application's writes land, so freezing it and draining its stream would hand
 * the target a stale copy.
 */
final class PgPrimaryCheck {
  private PgPrimaryCheck() {}

  static void confirm(PgSession s, MigrationPlan plan) {
    Boolean standby = s.one("checking the source is a primary", "SELECT pg_is_in_recovery()", rs -> rs.getBoolean(1));
    if (Boolean.TRUE.equals(standby)) {
      throw new MigrationException(FailureTypes.PREREQUISITE, "the source " + plan.source().hostAndDatabase()
          + " is a standby (in recovery), not the primary this migration copied from; nothing was frozen."
          + " Find out which server is the primary; abort this migration and start it again against it");
    }
    List<String> subscriptions = s.query("listing the source's subscriptions",
        "SELECT subname FROM pg_subscription WHERE subdbid = (SELECT oid FROM pg_database"
            + " WHERE datname = current_database()) AND subenabled ORDER BY 1", rs -> rs.getString(1));
    if (!subscriptions.isEmpty()) {
      throw new MigrationException(FailureTypes.PREREQUISITE, "the source " + plan.source().hostAndDatabase()
          + " receives its data through subscription(s) " + String.join(", ", subscriptions) + " (another migration"
          + " switched away from it, or it is a replica), so it is not where the application writes; nothing was"
          + " frozen. Abort this migration and migrate from the database the application writes to");
    }
  }
}
