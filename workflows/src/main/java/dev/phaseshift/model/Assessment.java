package dev.phaseshift.model;

import java.util.Comparator;
import java.util.List;

/**
 * The PREPARE phase's picture of source and target.
 *
 * @param tables  every selected table; for a schema of more than {@link #LISTED_TABLES} tables only
 *                the largest {@link #LARGEST_LISTED}, with all of them in {@code catalog}
 * @param catalog every selected table in compact form when there are too many to list; else null
 */
public record Assessment(
    ServerInfo source,
    ServerInfo target,
    List<TableInfo> tables,
    List<String> sequences,
    List<ClientConnection> clients,
    List<Finding> findings,
    TableCatalog catalog) {

  /** Up to this many tables the assessment lists them all as {@link TableInfo}, as it always did. */
  public static final int LISTED_TABLES = 1000;
  /** Beyond that, the largest tables stay listed: they are the ones an operator looks at first. */
  public static final int LARGEST_LISTED = 100;

  public Assessment(ServerInfo source, ServerInfo target, List<TableInfo> tables, List<String> sequences,
      List<ClientConnection> clients, List<Finding> findings) {
    this(source, target, tables, sequences, clients, findings, null);
  }

  /** Lists every table in full when there are few; otherwise the largest ones and a catalog of all. */
  public static Assessment of(ServerInfo source, ServerInfo target, List<TableInfo> tables, List<String> sequences,
      List<ClientConnection> clients, List<Finding> findings) {
    if (tables.size() <= LISTED_TABLES) return new Assessment(source, target, tables, sequences, clients, findings);
    List<TableInfo> largest = tables.stream()
        .sorted(Comparator.comparingLong(TableInfo::bytes).reversed().thenComparing(TableInfo::qualifiedName))
        .limit(LARGEST_LISTED).toList();
    return new Assessment(source, target, largest, sequences, clients, findings, TableCatalog.of(tables));
  }

  public List<Finding> blockers() {
    return findings.stream().filter(f -> f.severity() == Severity.BLOCKER).toList();
  }

  /** Every selected table, whether listed or in the catalog. */
  public List<TableInfo> allTables() {
    return catalog == null ? tables : catalog.expand();
  }

  public int tableCount() {
    return catalog == null ? tables.size() : catalog.count();
  }

  public long totalBytes() {
    return catalog == null ? tables.stream().mapToLong(TableInfo::bytes).sum()
        : catalog.bytes().stream().mapToLong(Long::longValue).sum();
  }
}
