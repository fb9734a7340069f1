package dev.phaseshift.engine.postgres;

import dev.phaseshift.model.ChangeCapture;
import dev.phaseshift.model.TableInfo;
import dev.phaseshift.plan.MigrationPlan;
import java.sql.Connection;
import java.sql.SQLException;
import org.postgresql.PGConnection;
import org.postgresql.copy.CopyManager;

/**
 * A source and a target session set up for copying: the source reads in the capture's exported
 * snapshot, the target writes the way a bulk load should.
 */
final class CopySessions implements AutoCloseable {
  private final PgSessionPair sides;

  private CopySessions(PgSessionPair sides) {
    this.sides = sides;
  }

  static CopySessions open(MigrationPlan plan, ChangeCapture capture, TableInfo table, SnapshotHolder snapshots)
      throws SQLException {
    PgSessionPair sides = PgSessionPair.open(plan);
    try {
      SnapshotImport.begin(sides.source().connection(), sides.target().connection(), plan, capture, table, snapshots);
      prepareTarget(sides.target().connection());
      return new CopySessions(sides);
    } catch (SQLException | RuntimeException e) {
      try {
        sides.close();
      } catch (RuntimeException suppressed) {
        e.addSuppressed(suppressed);
      }
      throw e;
    }
  }

  /**
   * The copy bypasses user triggers and foreign key checks (they are replica-mode-aware): the rows
   * are a consistent copy of a database that already satisfied its constraints, and triggers fired
   * on the source when the rows were written. pg_dump's data load does the same.
   */
  private static void prepareTarget(Connection target) throws SQLException {
    Sql.exec(target, "SET session_replication_role = replica");
    // Safe because each chunk commits with its bookkeeping row: a commit the target loses in a
    // crash loses both, and the retry copies that chunk again.
    Sql.exec(target, "SET synchronous_commit = off");
  }

  Connection source() {
    return sides.source().connection();
  }

  Connection target() {
    return sides.target().connection();
  }

  /** COPY ... TO STDOUT on the source. */
  CopyManager reader() throws SQLException {
    return source().unwrap(PGConnection.class).getCopyAPI();
  }

  /** COPY ... FROM STDIN on the target. */
  CopyManager writer() throws SQLException {
    return target().unwrap(PGConnection.class).getCopyAPI();
  }

  /** Ends the snapshot's transaction once the source session has read what it needs. */
  void endSnapshot() throws SQLException {
    SnapshotImport.end(source());
  }

  @Override
  public void close() {
    sides.close();
  }
}
