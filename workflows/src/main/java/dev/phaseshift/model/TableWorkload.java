package dev.phaseshift.model;

/**
 * One table's activity while the assessment watched the source.
 *
 * @param scans     scans that read the table (sequential and index), during the sample
 * @param rowsRead  rows those scans returned
 * @param inserts   rows inserted during the sample; {@code updates} and {@code deletes} likewise
 * @param bytes     the table's size with indexes and toast at the end of the sample
 * @param growthBytes how much that size grew during the sample (negative when it shrank)
 */
public record TableWorkload(String table, long scans, long rowsRead, long inserts, long updates, long deletes,
    long bytes, long growthBytes) {

  public long writes() {
    return inserts + updates + deletes;
  }

  /** Rows changed per minute over a sample of {@code sampleMillis}. */
  public double changesPerMinute(long sampleMillis) {
    return sampleMillis <= 0 ? 0 : writes() * 60_000.0 / sampleMillis;
  }
}
