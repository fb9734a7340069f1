package dev.phaseshift.model;

import java.util.Comparator;
import java.util.List;

/**
 * The PREPARE phase's picture of source and target.
 *
 * @param tables    every selected table; for a schema of more than {@link #LISTED_TABLES} tables only
 *                  the largest {@link #LARGEST_LISTED}, with all of them in {@code catalog}
 * @param sequences the sequences beside the tables; beyond {@link #LISTED_SEQUENCES} only that many
 *                  (see {@code selection} for the count)
 * @param catalog   every selected table in compact form when there are too many to list; else null.
 *                  Also null beyond {@link #CATALOGED_TABLES}: the copy then plans its batches on
 *                  the servers (the catalog would pass Temporal's 2 MB payload limit)
 * @param selection how much the plan selects, when the assessment does not carry every table or
 *                  sequence; null otherwise (and in assessments recorded before it existed)
 */
public record Assessment(
    ServerInfo source,
    ServerInfo target,
    List<TableInfo> tables,
    List<String> sequences,
    List<ClientConnection> clients,
    List<Finding> findings,
    TableCatalog catalog,
    Selection selection) {

  /** Up to this many tables the assessment lists them all as {@link TableInfo}, as it always did. */
  public static final int LISTED_TABLES = 1000;
  /** Beyond that, the largest tables stay listed: they are the ones an operator looks at first. */
  public static final int LARGEST_LISTED = 100;
  /** Up to this many tables (about 0.6 MB) the catalog travels with the assessment; beyond, it stays on the servers. */
  public static final int CATALOGED_TABLES = 20_000;
  /** Sequences named in the assessment; a schema per tenant can have one per table. */
  public static final int LISTED_SEQUENCES = 100;

  /** What the plan selects, counted on the source. */
  public record Selection(int tables, long bytes, int sequences) {}

  public Assessment(ServerInfo source, ServerInfo target, List<TableInfo> tables, List<String> sequences,
      List<ClientConnection> clients, List<Finding> findings, TableCatalog catalog) {
    this(source, target, tables, sequences, clients, findings, catalog, null);
  }

  public Assessment(ServerInfo source, ServerInfo target, List<TableInfo> tables, List<String> sequences,
      List<ClientConnection> clients, List<Finding> findings) {
    this(source, target, tables, sequences, clients, findings, null);
  }

  /**
   * Lists every table in full when there are few; otherwise the largest ones and a catalog of all,
   * or beyond {@link #CATALOGED_TABLES} the largest ones and their count only.
   */
  public static Assessment of(ServerInfo source, ServerInfo target, List<TableInfo> tables, List<String> sequences,
      List<ClientConnection> clients, List<Finding> findings) {
    List<String> listedSequences = sequences.size() <= LISTED_SEQUENCES ? sequences
        : List.copyOf(sequences.subList(0, LISTED_SEQUENCES));
    Selection selection = tables.size() <= CATALOGED_TABLES && sequences.size() <= LISTED_SEQUENCES ? null
        : new Selection(tables.size(), tables.stream().mapToLong(TableInfo::bytes).sum(), sequences.size());
    if (tables.size() <= LISTED_TABLES) {
      return new Assessment(source, target, tables, listedSequences, clients, findings, null, selection);
    }
    List<TableInfo> largest = tables.stream()
        .sorted(Comparator.comparingLong(TableInfo::bytes).reversed().thenComparing(TableInfo::qualifiedName))
        .limit(LARGEST_LISTED).toList();
    TableCatalog catalog = tables.size() <= CATALOGED_TABLES ? TableCatalog.of(tables) : null;
    return new Assessment(source, target, largest, listedSequences, clients, findings, catalog, selection);
  }

  /** The same assessment with more findings (a check made elsewhere, such as on the target host). */
  public Assessment withFindings(List<Finding> more) {
    if (more.isEmpty()) return this;
    List<Finding> all = new java.util.ArrayList<>(findings);
    all.addAll(more);
    return new Assessment(source, target, tables, sequences, clients, List.copyOf(all), catalog, selection);
  }

  public List<Finding> blockers() {
    return findings.stream().filter(f -> f.severity() == Severity.BLOCKER).toList();
  }

  /** Whether every selected table is here (listed or in the catalog); if not, only the servers know them all. */
  public boolean carriesAllTables() {
    return catalog != null || selection == null || tables.size() >= selection.tables();
  }

  /** Every selected table, whether listed or in the catalog; only where {@link #carriesAllTables()}. */
  public List<TableInfo> allTables() {
    if (!carriesAllTables()) {
      throw new IllegalStateException("the assessment of " + selection.tables() + " tables lists only the largest "
          + tables.size() + "; the others are read from the source");
    }
    return catalog == null ? tables : catalog.expand();
  }

  public int tableCount() {
    if (selection != null) return selection.tables();
    return catalog == null ? tables.size() : catalog.count();
  }

  public long totalBytes() {
    if (selection != null) return selection.bytes();
    return catalog == null ? tables.stream().mapToLong(TableInfo::bytes).sum()
        : catalog.bytes().stream().mapToLong(Long::longValue).sum();
  }

  /** Sequences beside the selected tables, also those not named. */
  public int sequenceCount() {
    return selection != null ? selection.sequences() : sequences.size();
  }
}
