package dev.phaseshift.model;

/**
 * One object outside the replicated tables compared on both sides: a materialized view, the large
 * objects, an unlogged table. Logical replication carries none of them, so each is checked on its
 * own and a difference blocks the switchover like a table's.
 *
 * @param kind   {@code materialized view}, {@code large objects} or {@code unlogged table}
 * @param name   the object, schema-qualified where it has a schema
 * @param source what the source holds, e.g. "populated, 120 rows, checksum 1a2b..." or "3 objects, 4096 bytes"
 * @param target the same on the target
 * @param match  whether both agree
 * @param note   what was compared or when it is brought current; empty when there is nothing to add
 */
public record ObjectCheck(String kind, String name, String source, String target, boolean match, String note) {}
