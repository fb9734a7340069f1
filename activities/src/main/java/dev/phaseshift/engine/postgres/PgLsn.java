package dev.phaseshift.engine.postgres;

import dev.phaseshift.model.Position;

/** PostgreSQL's log sequence numbers as the engine-neutral {@link Position} the workflow compares. */
public final class PgLsn {
  private PgLsn() {}

  /**
   * @param text a {@code pg_lsn} in its text form, {@code 16/B374D848}: the high and low 32 bits in hex
   * @return the position with the LSN as its offset and the text as its label; null for null
   */
  public static Position position(String text) {
    if (text == null) return null;
    int slash = text.indexOf('/');
    if (slash < 0) throw new IllegalArgumentException("not a pg_lsn: " + text);
    long offset = (Long.parseLong(text.substring(0, slash), 16) << 32) | Long.parseLong(text.substring(slash + 1), 16);
    return new Position(offset, text);
  }
}
