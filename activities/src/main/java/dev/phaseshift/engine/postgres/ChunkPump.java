package dev.phaseshift.engine.postgres;

import dev.phaseshift.model.ChangeCapture;
import dev.phaseshift.model.TableInfo;
import dev.phaseshift.plan.MigrationPlan;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import org.postgresql.copy.CopyIn;
import org.postgresql.copy.CopyManager;
import org.postgresql.copy.CopyOut;

/**
 * Pumps chunks from source to target with binary (or text) COPY: a reader on the source, a writer
 * on the target, each chunk committed with its ledger row. Streams of one table run on a shared
 * thread pool, bounded per migration by the plan's copyParallelism.
 */
final class ChunkPump {
  private static final int COPY_BATCH_BYTES = 256 * 1024;

  /** What every stream of one table copy shares. */
  record Job(MigrationPlan plan, ChangeCapture capture, TableInfo table, ChunkPlan chunks, Queue<Integer> todo,
      ChunkProgress progress) {}

  private final SnapshotHolder snapshots;

  ChunkPump(SnapshotHolder snapshots) {
    this.snapshots = snapshots;
  }

  /** Runs up to {@code streams} streams on the job's queue and waits for them, heartbeating meanwhile. */
  void run(Job job, int streams) {
    List<Future<?>> running = new ArrayList<>();
    for (int s = 0; s < streams; s++) running.add(STREAM_THREADS.submit(() -> stream(job)));
    awaitStreams(running, job.progress());
  }

  /**
   * One stream: a source session on the exported snapshot and a target session, taking chunks off
   * the table's queue until it is empty. Every session imports the same snapshot, so all streams
   * read the same point in time and each chunk's rows are copied once, by whichever stream took it.
   */
  private Void stream(Job job) throws Exception {
    Semaphore permits = streamPermits(job.plan());
    // Waiting in slices lets a stream give up as soon as another one failed.
    while (!permits.tryAcquire(200, TimeUnit.MILLISECONDS)) {
      if (job.progress().failed() || job.todo().isEmpty()) return null;
    }
    try {
      if (job.progress().failed()) return null;
      Integer chunk = job.todo().poll();
      if (chunk == null) return null;
      try (CopySessions sessions = CopySessions.open(job.plan(), job.capture(), job.table(), snapshots)) {
        Connection target = sessions.target();
        target.setAutoCommit(false);
        CopyManager out = sessions.reader();
        CopyManager in = sessions.writer();
        while (chunk != null) {
          if (!copyChunk(job, chunk, out, in, target)) return null;
          chunk = job.todo().poll();
        }
        sessions.endSnapshot();
      } catch (SQLException e) {
        throw job.progress().fail(copyFailed(job.table(), job.plan(), e));
      }
      return null;
    } catch (RuntimeException e) {
      throw job.progress().fail(e);
    } finally {
      permits.release();
    }
  }

  static IllegalStateException copyFailed(TableInfo table, MigrationPlan plan, SQLException e) {
    return new IllegalStateException("copy of " + table.qualifiedName() + " from " + PgEndpoint.source(plan)
        + " to " + PgEndpoint.target(plan) + " failed: " + e.getMessage(), e);
  }

  /** Copies one chunk and commits it with its bookkeeping row; false when the copy was called off. */
  static boolean copyChunk(Job job, int i, CopyManager out, CopyManager in, Connection target) throws SQLException {
    ChunkPlan chunks = job.chunks();
    ChunkProgress progress = job.progress();
    long chunkBytes = 0;
    CopyOut reader = null;
    CopyIn writer = null;
    try {
      writer = in.copyIn("COPY " + chunks.qualified() + " (" + chunks.columns() + ") FROM STDIN (FORMAT "
          + chunks.format() + ")");
      reader = out.copyOut("COPY (" + chunks.select(i) + ") TO STDOUT (FORMAT " + chunks.format() + ")");
      // The source sends one message per row; passing them on one by one costs a message, a
      // lock and a flush check per row on the target side. COPY data is a plain byte stream, so
      // rows are gathered into larger messages.
      byte[] batch = new byte[COPY_BATCH_BYTES];
      int filled = 0;
      byte[] buf;
      while ((buf = reader.readFromCopy()) != null) {
        if (filled + buf.length > batch.length) {
          writer.writeToCopy(batch, 0, filled);
          progress.streamed(filled);
          chunkBytes += filled;
          filled = 0;
          if (progress.failed()) {
            cancel(writer, reader);
            Sql.quietly(target::rollback);
            progress.streamed(-chunkBytes);
            return false;
          }
        }
        if (buf.length > batch.length) {
          writer.writeToCopy(buf, 0, buf.length);
          progress.streamed(buf.length);
          chunkBytes += buf.length;
        } else {
          System.arraycopy(buf, 0, batch, filled, buf.length);
          filled += buf.length;
        }
      }
      reader = null;
      if (filled > 0) {
        writer.writeToCopy(batch, 0, filled);
        progress.streamed(filled);
        chunkBytes += filled;
      }
      long chunkRows = writer.endCopy();
      writer = null;
      CopyLedger.record(target, job.plan(), job.table(), job.capture(), i, chunkRows, chunkBytes,
          chunks.chunkBlocks());
      if (!progress.commit(target, chunkRows, chunkBytes)) {
        Sql.quietly(target::rollback);
        progress.streamed(-chunkBytes);
        return false;
      }
      return true;
    } catch (SQLException | RuntimeException e) {
      cancel(writer, reader);
      Sql.quietly(target::rollback);
      throw e;
    }
  }

  /**
   * Waits for the streams, heartbeating meanwhile: a stream may wait for a permit held by another
   * table's copy, and the activity must still look alive to Temporal while it does.
   */
  private static void awaitStreams(List<Future<?>> running, ChunkProgress progress) {
    try {
      for (Future<?> f : running) {
        while (true) {
          try {
            f.get(ChunkProgress.HEARTBEAT_MILLIS, TimeUnit.MILLISECONDS);
            break;
          } catch (TimeoutException e) {
            progress.beatIfDue();
          } catch (ExecutionException e) {
            // The first failure is the one to report; later ones are usually its consequence.
            break;
          }
        }
      }
    } catch (InterruptedException e) {
      progress.fail(new IllegalStateException("interrupted while copying " + progress.table()));
      Thread.currentThread().interrupt();
      for (Future<?> f : running) f.cancel(true);
      throw new IllegalStateException("interrupted while copying " + progress.table(), e);
    } catch (RuntimeException e) {
      // The heartbeat itself failed (for instance the activity was cancelled): stop the streams.
      progress.fail(e);
      waitQuietly(running);
      throw e;
    }
    RuntimeException failure = progress.failure();
    if (failure != null) {
      waitQuietly(running);
      throw failure;
    }
  }

  private static void waitQuietly(List<Future<?>> running) {
    for (Future<?> f : running) {
      try {
        f.get();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      } catch (ExecutionException e) {
        // Already recorded as the copy's failure, or a consequence of it.
      }
    }
  }

  /**
   * Chunk streams of one migration running at once in this process, across all its tables: the
   * plan's copyParallelism. A table copied alone uses them all; tables copied side by side share
   * them instead of multiplying them.
   */
  private static Semaphore streamPermits(MigrationPlan plan) {
    int permits = Math.max(1, plan.copyParallelism());
    return STREAM_PERMITS.computeIfAbsent(plan.name() + "/" + permits, k -> new Semaphore(permits, true));
  }

  private static final Map<String, Semaphore> STREAM_PERMITS = new ConcurrentHashMap<>();

  private static final ExecutorService STREAM_THREADS = Executors.newCachedThreadPool(new ThreadFactory() {
    private final AtomicInteger next = new AtomicInteger();

    @Override
    public Thread newThread(Runnable r) {
      Thread t = new Thread(r, "phaseshift-copy-" + next.incrementAndGet());
      t.setDaemon(true);
      return t;
    }
  });

  private static void cancel(CopyIn writer, CopyOut reader) {
    try {
      if (reader != null && reader.isActive()) reader.cancelCopy();
    } catch (SQLException ignored) {
      // The source session ends with this copy; a failed cancel changes nothing.
    }
    try {
      if (writer != null && writer.isActive()) writer.cancelCopy();
    } catch (SQLException ignored) {
      // The transaction is rolled back next, which discards the partial chunk either way.
    }
  }
}
