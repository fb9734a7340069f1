package dev.phaseshift.engine.postgres;

import dev.phaseshift.engine.BulkCopier;
import dev.phaseshift.engine.Heartbeat;
import dev.phaseshift.model.BatchCopyResult;
import dev.phaseshift.model.ChangeCapture;
import dev.phaseshift.model.CopyBatch;
import dev.phaseshift.model.CopyProgress;
import dev.phaseshift.model.TableCopyResult;
import dev.phaseshift.model.TableInfo;
import dev.phaseshift.plan.MigrationPlan;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.postgresql.copy.CopyManager;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Copies a batch of small tables one after the other. One source session holds the snapshot for
 * the whole batch and one target session takes the tables in turn, so a small table costs a few
 * statements instead of four new connections. A table that turns out to need more than one chunk
 * is handed to the single-table copy, with its streams.
 */
final class BatchCopy {
  private static final Logger log = LoggerFactory.getLogger(BatchCopy.class);

  private final SnapshotHolder snapshots;
  private final int chunkBlocks;
  private final BulkCopier single;

  BatchCopy(SnapshotHolder snapshots, int chunkBlocks, BulkCopier single) {
    this.snapshots = snapshots;
    this.chunkBlocks = chunkBlocks;
    this.single = single;
  }

  BatchCopyResult copy(MigrationPlan plan, ChangeCapture capture, CopyBatch named, Heartbeat heartbeat) {
    long started = System.currentTimeMillis();
    CopyBatch batch = withTables(plan, named);
    if (batch.tables().isEmpty()) return new BatchCopyResult(batch.label(), List.of(), 0);
    List<TableCopyResult> results = new ArrayList<>();
    long[] done = {0, 0};
    int resumedTables = 0;
    TableInfo current = batch.tables().get(0);
    try (CopySessions sessions = CopySessions.open(plan, capture, current, snapshots)) {
      Connection source = sessions.source();
      Connection target = sessions.target();
      PgBookkeepingSchema.ensure(PgEndpoint.target(plan), target);
      CopyManager out = sessions.reader();
      CopyManager in = sessions.writer();
      heartbeat.beat(new CopyProgress(batch.label(), 0, batch.tables().size(), 0, 0));
      for (TableInfo table : batch.tables()) {
        current = table;
        int finished = results.size();
        Heartbeat withinBatch = p -> heartbeat.beat(new CopyProgress(batch.label(), finished,
            batch.tables().size(), done[0] + p.rowsCopied(), done[1] + p.bytesCopied()));
        TableCopyResult result = copySmall(plan, capture, table, source, target, out, in, withinBatch);
        if (result.resumedChunks() > 0 && result.resumedChunks() == result.chunks()) resumedTables++;
        results.add(result);
        done[0] += result.rows();
        done[1] += result.bytes();
        heartbeat.beat(new CopyProgress(batch.label(), results.size(), batch.tables().size(), done[0], done[1]));
      }
      sessions.endSnapshot();
    } catch (SQLException e) {
      throw ChunkPump.copyFailed(current, plan, e);
    }
    long millis = System.currentTimeMillis() - started;
    log.info("copied {}: {} tables ({} already on the target), {} rows, {} bytes, in {} ms",
        batch.label(), results.size(), resumedTables, done[0], done[1], millis);
    return BatchCopyResult.bounded(batch.label(), results, millis);
  }

  /** A batch kept on the target, with its tables read from there (see {@link PgCopyBatches}). */
  private static CopyBatch withTables(MigrationPlan plan, CopyBatch batch) {
    if (batch.stored() == null) return batch;
    try (PgSession target = PgSession.open(PgEndpoint.target(plan))) {
      return new CopyBatch(batch.label(), target.call("reading the tables of " + batch.label(),
          c -> PgCopyBatches.tables(c, plan, batch)));
    }
  }

  /** One table of a batch, on the batch's sessions; under the same per-table lock and ledger as a single copy. */
  private TableCopyResult copySmall(MigrationPlan plan, ChangeCapture capture, TableInfo table, Connection source,
      Connection target, CopyManager out, CopyManager in, Heartbeat heartbeat) throws SQLException {
    long started = System.currentTimeMillis();
    CopyLedger.lock(target, plan, table);
    boolean locked = true;
    try {
      Map<Integer, CopyLedger.Chunk> recorded = CopyLedger.recordedChunks(target, plan, table, capture);
      ChunkPlan chunks = ChunkPlan.of(source, table, CopyLedger.chunkBlocks(recorded, chunkBlocks));
      if (chunks.total() > 1) {
        // Grew past one chunk since the assessment: worth parallel streams. The single copy takes the lock itself.
        CopyLedger.unlock(target, plan, table);
        locked = false;
        return single.copy(plan, capture, table, heartbeat);
      }
      CopyLedger.Chunk earlier = recorded.get(0);
      if (earlier != null) {
        return new TableCopyResult(table.qualifiedName(), earlier.rows(), earlier.bytes(),
            System.currentTimeMillis() - started, 1, 1);
      }
      ChunkProgress progress = new ChunkProgress(table.qualifiedName(), 1, 0, 0, 0, Heartbeat.NONE);
      ChunkPump.Job job = new ChunkPump.Job(plan, capture, table, chunks, new ConcurrentLinkedQueue<>(), progress);
      target.setAutoCommit(false);
      try {
        ChunkPump.copyChunk(job, 0, out, in, target);
      } finally {
        target.setAutoCommit(true);
      }
      return new TableCopyResult(table.qualifiedName(), progress.rows(), progress.bytes(),
          System.currentTimeMillis() - started, 1, 0);
    } finally {
      if (locked) CopyLedger.unlock(target, plan, table);
    }
  }
}
