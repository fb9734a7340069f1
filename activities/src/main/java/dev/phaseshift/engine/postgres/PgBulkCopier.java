package dev.phaseshift.engine.postgres;

import dev.phaseshift.engine.BulkCopier;
import dev.phaseshift.engine.Heartbeat;
import dev.phaseshift.model.BatchCopyResult;
import dev.phaseshift.model.ChangeCapture;
import dev.phaseshift.model.CopyBatch;
import dev.phaseshift.model.TableCopyResult;
import dev.phaseshift.model.TableInfo;
import dev.phaseshift.model.TableSlice;
import dev.phaseshift.plan.MigrationPlan;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Binary COPY from source to target under the change capture's exported snapshot, in chunks of
 * physical blocks ({@link ChunkPlan}). Each chunk commits on the target together with its row in
 * the {@link CopyLedger}, so a retried copy skips exactly the chunks that are there and the table
 * ends up with every row of the snapshot once. Small tables go in batches ({@link BatchCopy}).
 */
final class PgBulkCopier implements BulkCopier {
  private static final Logger log = LoggerFactory.getLogger(PgBulkCopier.class);

  /**
   * 8192 blocks of 8 KiB: 64 MiB per chunk, a second or two of work to lose on a retry. Each chunk
   * is a COPY of its own on the target, and smaller chunks cost it measurably more CPU (bench/:
   * about 13% more at 16 MiB, 5% at 128 MiB, than one COPY of the whole table).
   */
  static final int DEFAULT_CHUNK_BLOCKS = 8192;

  private final SnapshotHolder snapshots;
  private final int chunkBlocks;
  private final ChunkPump pump;

  PgBulkCopier(SnapshotHolder snapshots) {
    this(snapshots, DEFAULT_CHUNK_BLOCKS);
  }

  PgBulkCopier(SnapshotHolder snapshots, int chunkBlocks) {
    if (chunkBlocks < 1) throw new IllegalArgumentException("chunkBlocks must be at least 1");
    this.snapshots = snapshots;
    this.chunkBlocks = chunkBlocks;
    this.pump = new ChunkPump(snapshots);
  }

  @Override
  public TableCopyResult copy(MigrationPlan plan, ChangeCapture capture, TableInfo table, Heartbeat heartbeat) {
    return copySlice(plan, capture, new TableSlice(table, 0, 1), heartbeat);
  }

  /**
   * Copies the slice's chunks of its table. A whole table is its only slice, under the table's
   * exclusive lock; slices of a table run side by side, on any workers, each under a lock of its
   * own, and cut the table into the same chunks (bounded ones, see {@link ChunkPlan#bounded}).
   */
  @Override
  public TableCopyResult copySlice(MigrationPlan plan, ChangeCapture capture, TableSlice slice, Heartbeat heartbeat) {
    TableInfo table = slice.table();
    boolean whole = slice.slices() == 1;
    String label = whole ? table.qualifiedName() : slice.label();
    long started = System.currentTimeMillis();
    // The snapshot is checked first: a copy holding a dead or stale snapshot must fail before
    // it empties chunks that a copy under the live snapshot committed.
    try (CopySessions sessions = CopySessions.open(plan, capture, table, snapshots)) {
      Connection source = sessions.source();
      Connection target = sessions.target();
      // This session keeps the advisory locks for the whole copy; the streams below commit their
      // chunks on sessions of their own.
      PgBookkeepingSchema.ensure(PgEndpoint.target(plan), target);
      if (whole) {
        CopyLedger.lock(target, plan, table);
      } else {
        CopyLedger.lockSlice(target, plan, slice);
      }
      Map<Integer, CopyLedger.Chunk> done = CopyLedger.recordedChunks(target, plan, table, capture);
      ChunkPlan cut = ChunkPlan.of(source, table, CopyLedger.chunkBlocks(done, chunkBlocks));
      ChunkPlan chunks = whole ? cut : cut.bounded();
      sessions.endSnapshot();

      int total = 0;
      int resumed = 0;
      long rows = 0;
      long bytes = 0;
      Queue<Integer> todo = new ConcurrentLinkedQueue<>();
      for (int i = 0; i < chunks.total(); i++) {
        if (!slice.owns(i)) continue;
        total++;
        CopyLedger.Chunk c = done.get(i);
        if (c != null) {
          resumed++;
          rows += c.rows();
          bytes += c.bytes();
        } else {
          todo.add(i);
        }
      }
      ChunkProgress progress = new ChunkProgress(label, total, resumed, rows, bytes, heartbeat);
      progress.beatNow();
      if (resumed > 0) {
        log.info("copy of {} resumes: {} of {} chunks already on the target", label, resumed, total);
      }

      int streams = Math.min(todo.size(), Math.max(1, plan.copyParallelism()));
      pump.run(new ChunkPump.Job(plan, capture, table, chunks, todo, progress), streams);

      long millis = System.currentTimeMillis() - started;
      log.info("copied {}: {} rows, {} bytes, {} chunks ({} resumed) on up to {} streams, {} COPY, in {} ms",
          label, progress.rows(), progress.bytes(), total, resumed, streams, chunks.format(), millis);
      return new TableCopyResult(table.qualifiedName(), progress.rows(), progress.bytes(), millis, total, resumed);
    } catch (SQLException e) {
      throw ChunkPump.copyFailed(table, plan, e);
    }
  }

  @Override
  public boolean holdSnapshotReplica(MigrationPlan plan, ChangeCapture capture, Heartbeat heartbeat) {
    return new SnapshotReplica(snapshots).hold(plan, capture, heartbeat);
  }

  @Override
  public BatchCopyResult copyBatch(MigrationPlan plan, ChangeCapture capture, CopyBatch batch, Heartbeat heartbeat) {
    return new BatchCopy(snapshots, chunkBlocks, this).copy(plan, capture, batch, heartbeat);
  }

  @Override
  public java.util.List<CopyBatch> planBatches(MigrationPlan plan) {
    return PgCopyBatches.plan(plan);
  }
}
