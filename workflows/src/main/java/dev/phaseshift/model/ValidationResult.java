package dev.phaseshift.model;

import java.util.List;

/**
 * The TEST phase's comparison.
 *
 * @param comparedAt          the source position both sides were read at
 * @param schemaDifferences   lines that differ between the two schema dumps (empty when equal)
 * @param mismatches          tables whose count or checksum differ, plus schema differences
 * @param tablesCompared      tables compared; {@code tables} lists them all only up to a bound
 *                            (every mismatch first), so a result for 10,000 tables stays small;
 *                            0 in results recorded before the bound
 * @param sequencesCompared   sequences compared; {@code sequences} is bounded the same way
 * @param rowsChanging        rows that changed in every round of the comparison and so were not
 *                            compared (see {@link ChangingRows}); not a mismatch
 * @param tablesChanging      tables with such rows, or changing as a whole in every round
 * @param objects             materialized views, large objects and unlogged tables, which the
 *                            stream does not carry, each compared on its own; every one that differs
 *                            counts in {@code mismatches}; null in results recorded before
 * @param unstreamed          what bringing those objects current cost, which the switchover spends
 *                            again; null in results recorded before, or where nothing was measured
 */
public record ValidationResult(
    Position comparedAt,
    List<TableValidation> tables,
    List<SequenceValue> sequences,
    List<String> schemaDifferences,
    int mismatches,
    long millis,
    int tablesCompared,
    int sequencesCompared,
    long rowsChanging,
    int tablesChanging,
    List<ObjectCheck> objects,
    UnstreamedWork unstreamed) {

  /** Tables and sequences listed in full up to this many; beyond, mismatches first, then the rest up to it. */
  public static final int LISTED = 100;

  public ValidationResult(Position comparedAt, List<TableValidation> tables, List<SequenceValue> sequences,
      List<String> schemaDifferences, int mismatches, long millis, int tablesCompared, int sequencesCompared,
      long rowsChanging, int tablesChanging, List<ObjectCheck> objects) {
    this(comparedAt, tables, sequences, schemaDifferences, mismatches, millis, tablesCompared, sequencesCompared,
        rowsChanging, tablesChanging, objects, null);
  }

  public ValidationResult(Position comparedAt, List<TableValidation> tables, List<SequenceValue> sequences,
      List<String> schemaDifferences, int mismatches, long millis, int tablesCompared, int sequencesCompared,
      long rowsChanging, int tablesChanging) {
    this(comparedAt, tables, sequences, schemaDifferences, mismatches, millis, tablesCompared, sequencesCompared,
        rowsChanging, tablesChanging, List.of());
  }

  public ValidationResult(Position comparedAt, List<TableValidation> tables, List<SequenceValue> sequences,
      List<String> schemaDifferences, int mismatches, long millis, int tablesCompared, int sequencesCompared) {
    this(comparedAt, tables, sequences, schemaDifferences, mismatches, millis, tablesCompared, sequencesCompared, 0, 0);
  }

  public ValidationResult(Position comparedAt, List<TableValidation> tables, List<SequenceValue> sequences,
      List<String> schemaDifferences, int mismatches, long millis) {
    this(comparedAt, tables, sequences, schemaDifferences, mismatches, millis, tables.size(), sequences.size());
  }

  /** Tables compared, also for results recorded before {@code tablesCompared} existed. */
  public int tableCount() {
    return Math.max(tablesCompared, tables == null ? 0 : tables.size());
  }

  /** What the switchover will spend on the objects no stream carries, also for results recorded before. */
  public UnstreamedWork unstreamedWork() {
    return unstreamed == null ? UnstreamedWork.NONE : unstreamed;
  }

  /** The objects compared on their own, also for results recorded before they were. */
  public List<ObjectCheck> objectChecks() {
    return objects == null ? List.of() : objects;
  }

  public boolean passed() {
    return mismatches == 0;
  }

  /**
   * One line for status and report: passed or the mismatches, and the rows that kept changing, so a
   * pass over a hot table does not read as if every row had been compared.
   */
  public String verdict() {
    String verdict = passed() ? "passed" : mismatches + " mismatch(es)";
    if (tablesChanging == 0) return verdict;
    return verdict + "; " + (rowsChanging > 0 ? rowsChanging + " row(s)" : "rows") + " in " + tablesChanging
        + " table(s) changed in every round and were not compared";
  }
}
