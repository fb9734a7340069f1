package dev.phaseshift.plan;

/**
 * One database of a fleet: either the per-database values that complete the fleet's template, or a
 * full plan of its own.
 *
 * @param name     the migration's name (its workflow id is {@code migration-<name>})
 * @param database the database's name; replaces {@code {database}} in the template's URLs
 * @param source   the source's JDBC URL, when the template's URL does not fit (overrides it)
 * @param target   the target's JDBC URL, likewise
 * @param plan     a full migration plan instead of the template; the fields above must then be empty
 */
public record FleetDatabase(String name, String database, String source, String target, MigrationPlan plan) {

  public static FleetDatabase of(String name, String database) {
    return new FleetDatabase(name, database, null, null, null);
  }
}
