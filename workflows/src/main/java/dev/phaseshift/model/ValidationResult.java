package dev.phaseshift.model;

import java.util.List;

/**
 * The TEST phase's comparison.
 *
 * @param lsn                 the source position both sides were read at
 * @param schemaDifferences   lines that differ between the two schema dumps (empty when equal)
 * @param mismatches          tables whose count or checksum differ, plus schema differences
 */
public record ValidationResult(
    String lsn,
    List<TableValidation> tables,
    List<SequenceValue> sequences,
    List<String> schemaDifferences,
    int mismatches,
    long millis) {

  public boolean passed() {
    return mismatches == 0;
  }
}
