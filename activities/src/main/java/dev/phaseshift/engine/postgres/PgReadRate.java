package dev.phaseshift.engine.postgres;

import dev.phaseshift.model.TableInfo;
import java.io.IOException;
import java.io.OutputStream;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.Comparator;
import java.util.List;
import org.postgresql.PGConnection;

/**
 * How fast the source hands table data out, measured as the bulk copy reads it (COPY ... TO
 * STDOUT): up to {@link #SAMPLE_BYTES} of the largest selected table. The copy estimate without a
 * rehearsal divides the selected size by it; the rate leaves out the target's side and the
 * indexes built after the copy, which a rehearsal measures.
 */
final class PgReadRate {
  static final long SAMPLE_BYTES = 32L * 1024 * 1024;
  static final long UNESTIMATED_ROWS = 100_000;

  private PgReadRate() {}

  /** Bytes per second, or 0 when there is nothing to read. */
  static long bytesPerSecond(Connection c, List<TableInfo> tables) throws SQLException {
    TableInfo largest = tables.stream().filter(t -> t.bytes() > 0)
        .max(Comparator.comparingLong(TableInfo::bytes)).orElse(null);
    if (largest == null) return 0;
    // A table never analyzed has no row estimate: a fixed number of rows stands in.
    long rows = largest.estimatedRows() <= 0 ? UNESTIMATED_ROWS
        : Math.max(1, Math.min(largest.estimatedRows(), largest.estimatedRows() * SAMPLE_BYTES / largest.bytes()));
    long[] counted = new long[1];
    OutputStream counter = new OutputStream() {
      @Override
      public void write(int b) {
        counted[0]++;
      }

      @Override
      public void write(byte[] b, int off, int len) {
        counted[0] += len;
      }
    };
    long start = System.nanoTime();
    try {
      // Named in pg_stat_activity, so that nobody takes the test read for the migration's copy.
      c.unwrap(PGConnection.class).getCopyAPI().copyOut("/* phaseshift: read-rate sample */ COPY (SELECT * FROM "
          + Sql.qualified(largest.schema(), largest.name()) + " LIMIT " + rows + ") TO STDOUT", counter);
    } catch (IOException e) {
      throw new SQLException("reading a sample of " + largest.qualifiedName() + ": " + e.getMessage(), e);
    }
    long nanos = Math.max(1, System.nanoTime() - start);
    return counted[0] == 0 ? 0 : Math.round(counted[0] * 1e9 / nanos);
  }
}
