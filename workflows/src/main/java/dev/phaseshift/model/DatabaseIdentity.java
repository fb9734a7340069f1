package dev.phaseshift.model;

/**
 * One database as its server knows itself, read in PREPARE: what a lease is keyed by, so that two
 * host names, ports or proxies in front of one database still name the same database.
 *
 * @param system   the server's own identifier, fixed when the cluster was created
 * @param oid      the database's object id inside that server
 * @param database the database's name, for messages
 * @param address  host, port and database as the plan names it, for messages (no credentials)
 */
public record DatabaseIdentity(String system, long oid, String database, String address) {
  /** The workflow id of the lease on this database: the same for every migration, whatever address it uses. */
  public String leaseId() {
    return "phaseshift-lease-" + system + "-" + oid;
  }

  @Override
  public String toString() {
    return address + " (database " + database + ", server " + system + ")";
  }
}
