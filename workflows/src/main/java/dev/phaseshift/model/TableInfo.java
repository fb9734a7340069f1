package dev.phaseshift.model;

/**
 * A table selected for the migration.
 *
 * @param replicaIdentity {@code default}, {@code full}, {@code index} or {@code nothing}
 * @param unlogged        unlogged tables are not replicated; they are copied again inside the freeze
 */
public record TableInfo(
    String schema,
    String name,
    long bytes,
    long estimatedRows,
    boolean hasPrimaryKey,
    String replicaIdentity,
    boolean unlogged) {

  public String qualifiedName() {
    return schema + "." + name;
  }
}
