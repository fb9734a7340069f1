package dev.phaseshift.engine.postgres;

import dev.phaseshift.engine.MigrationException;
import dev.phaseshift.model.DatabaseIdentities;
import dev.phaseshift.model.DatabaseIdentity;
import dev.phaseshift.plan.MigrationPlan;
import dev.phaseshift.workflow.FailureTypes;
import java.sql.Connection;
import java.sql.SQLException;

/**
 * What the servers say the plan's databases are: the cluster's system identifier (fixed at initdb,
 * the same under every host name, port or proxy) and the database's oid. Leases are keyed by it.
 */
final class PgIdentity {
  private PgIdentity() {}

  /** A database's identity and, to tell two copies of one cluster apart, when its server started. */
  private record Seen(DatabaseIdentity identity, String started) {}

  static DatabaseIdentities identify(MigrationPlan plan) {
    try (PgSessionPair sides = PgSessionPair.open(plan)) {
      Seen source = sides.source().call("reading the server's identity", c -> seen(c, plan.source().hostAndDatabase()));
      Seen target = sides.target().call("reading the server's identity", c -> seen(c, plan.target().hostAndDatabase()));
      if (source.identity().leaseId().equals(target.identity().leaseId()) && source.started().equals(target.started())) {
        throw new MigrationException(FailureTypes.PREREQUISITE, "source " + plan.source().hostAndDatabase()
            + " and target " + plan.target().hostAndDatabase() + " are the same database (" + source.identity()
            + "), reached under two addresses; point the target at the new server");
      }
      return new DatabaseIdentities(source.identity(), target.identity());
    }
  }

  /**
   * Seeded physically, the target server does not exist yet, and its system identifier is made by
   * pg_createsubscriber when it converts the copy, so it cannot key a lease taken in PREPARE. The
   * address the new server will listen on can: only one server can hold a host's port, so two
   * migrations seeding to the same address claim the same lease and the second waits or fails
   * instead of seeding over the first. (A second migration into the same data directory on another
   * port is refused by the target host's check: the directory is not empty and not its own.)
   */
  static DatabaseIdentities identifySeeded(MigrationPlan plan) {
    try (PgSession s = PgSession.open(PgEndpoint.source(plan))) {
      DatabaseIdentity source = source(s, plan);
      PgEndpoint target = PgEndpoint.target(plan);
      String address = target.host() + ":" + target.port();
      return new DatabaseIdentities(source, new DatabaseIdentity("seeded-" + address, 0, target.database(),
          plan.target().hostAndDatabase()));
    }
  }

  /** The source's identity now, for the switchover's check that it is still the database PREPARE claimed. */
  static DatabaseIdentity source(PgSession s, MigrationPlan plan) {
    return s.call("reading the server's identity", c -> seen(c, plan.source().hostAndDatabase())).identity();
  }

  private static Seen seen(Connection c, String address) throws SQLException {
    return Sql.one(c, "SELECT (SELECT system_identifier::text FROM pg_control_system()), d.oid::bigint,"
            + " current_database(), pg_postmaster_start_time()::text"
            + " FROM pg_database d WHERE d.datname = current_database()",
        rs -> new Seen(new DatabaseIdentity(rs.getString(1), rs.getLong(2), rs.getString(3), address), rs.getString(4)));
  }
}
