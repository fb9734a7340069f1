package dev.phaseshift.engine.postgres;

import java.util.ArrayList;
import java.util.List;

/**
 * Carries sequence positions from the side that loses writes to the side that takes them, while
 * writes are frozen: logical replication does not carry sequences, so without this the new primary
 * would hand out values already used.
 *
 * <p>It runs inside the freeze, so it costs two round trips per batch of sequences rather than two
 * per sequence: one statement reads a batch on one side, one sets it on the other.
 */
final class SequenceCopy {
  /** Sequences per statement: keeps a statement's text small for databases with very many. */
  private static final int BATCH = 500;

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
    for (int start = 0; start < sequences.size(); start += BATCH) {
      copied += copyBatch(from, to, sequences.subList(start, Math.min(sequences.size(), start + BATCH)), skipMissing);
    }
    return copied;
  }

  private static int copyBatch(PgSession from, PgSession to, List<PgInventory.Seq> batch, boolean skipMissing) {
    List<String> reads = new ArrayList<>();
    for (PgInventory.Seq seq : batch) {
      reads.add("SELECT " + Sql.literal(seq.quoted()) + "::text, last_value, is_called FROM " + seq.quoted());
    }
    String what = batch.size() == 1 ? batch.get(0).display() : batch.size() + " sequences";
    List<Object[]> values = from.query("reading " + what, String.join(" UNION ALL ", reads),
        rs -> new Object[] {rs.getString(1), rs.getLong(2), rs.getBoolean(3)});
    // Without skipMissing, a sequence missing on {@code to} fails the cast to regclass, and with it the step.
    return to.call("setting " + what, c -> Sql.one(c,
        "SELECT count(setval(u.name::regclass, u.value, u.called))::int"
            + " FROM unnest(?::text[], ?::bigint[], ?::boolean[]) AS u(name, value, called)"
            + (skipMissing ? " WHERE to_regclass(u.name) IS NOT NULL" : ""),
        rs -> rs.getInt(1),
        c.createArrayOf("text", values.stream().map(v -> v[0]).toArray()),
        c.createArrayOf("int8", values.stream().map(v -> v[1]).toArray()),
        c.createArrayOf("bool", values.stream().map(v -> v[2]).toArray())));
  }
}
