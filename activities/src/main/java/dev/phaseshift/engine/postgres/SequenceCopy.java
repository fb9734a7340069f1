package dev.phaseshift.engine.postgres;

import java.util.List;

/**
 * Carries sequence positions from the side that loses writes to the side that takes them, while
 * writes are frozen: logical replication does not carry sequences, so without this the new primary
 * would hand out values already used.
 */
final class SequenceCopy {
  private SequenceCopy() {}

  /**
   * Sets each sequence on {@code to} to its value on {@code from}.
   *
   * @param skipMissing skip sequences {@code to} does not have (the old source on a rollback lacks
   *     sequences created on the target after the switchover); otherwise a missing one fails
   * @return how many sequences were set
   */
  static int copy(PgSession from, PgSession to, List<PgInventory.Seq> sequences, boolean skipMissing) {
    int copied = 0;
    for (PgInventory.Seq seq : sequences) {
      if (skipMissing && !to.call("looking for " + seq.display(), c -> PgInventory.exists(c, seq))) continue;
      Object[] value = from.one("reading " + seq.display(), "SELECT last_value, is_called FROM " + seq.quoted(),
          rs -> new Object[] {rs.getLong(1), rs.getBoolean(2)});
      to.one("setting " + seq.display(), "SELECT setval(?::regclass, ?, ?)", rs -> rs.getLong(1),
          seq.quoted(), value[0], value[1]);
      copied++;
    }
    return copied;
  }
}
