package dev.phaseshift.engine.postgres;

import dev.phaseshift.engine.BulkCopier;
import dev.phaseshift.engine.Heartbeat;
import dev.phaseshift.engine.MigrationException;
import dev.phaseshift.model.BatchCopyResult;
import dev.phaseshift.model.ChangeCapture;
import dev.phaseshift.model.CopyBatch;
import dev.phaseshift.model.CopyProgress;
import dev.phaseshift.model.TableCopyResult;
import dev.phaseshift.model.TableInfo;
import dev.phaseshift.plan.MigrationPlan;
import dev.phaseshift.workflow.FailureTypes;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Collectors;
import org.postgresql.PGConnection;
import org.postgresql.copy.CopyIn;
import org.postgresql.copy.CopyManager;
import org.postgresql.copy.CopyOut;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Binary COPY from source to target under the change capture's exported snapshot, in chunks of
 * physical blocks. Each chunk commits on the target together with its row in
 * {@code phaseshift.copy_chunk}, so a retried copy skips exactly the chunks that are there and
 * the table ends up with every row of the snapshot once.
 */
final class PgBulkCopier implements BulkCopier {
  private static final Logger log = LoggerFactory.getLogger(PgBulkCopier.class);

  /**
   * 8192 blocks of 8 KiB: 64 MiB per chunk, a second or two of work to lose on a retry. Each chunk
   * is a COPY of its own on the target, and smaller chunks cost it measurably more CPU (bench/:
   * about 13% more at 16 MiB, 5% at 128 MiB, than one COPY of the whole table).
   */
  static final int DEFAULT_CHUNK_BLOCKS = 8192;
  /** The chunk size of copies recorded before {@code chunk_blocks} was: a resumed copy keeps its chunks. */
  static final int LEGACY_CHUNK_BLOCKS = 2048;
  static final String CHUNKS = Sql.qualified(PgNames.BOOKKEEPING_SCHEMA, "copy_chunk");
  private static final long HEARTBEAT_MILLIS = 2000;
  private static final int COPY_BATCH_BYTES = 256 * 1024;
  /** OIDs below this are built into PostgreSQL and the same on every server. */
  private static final int FIRST_NORMAL_OID = 16384;

  private final SnapshotHolder snapshots;
  private final int chunkBlocks;

  PgBulkCopier(SnapshotHolder snapshots) {
    this(snapshots, DEFAULT_CHUNK_BLOCKS);
  }

  PgBulkCopier(SnapshotHolder snapshots, int chunkBlocks) {
    if (chunkBlocks < 1) throw new IllegalArgumentException("chunkBlocks must be at least 1");
    this.snapshots = snapshots;
    this.chunkBlocks = chunkBlocks;
  }

  private record Chunk(String snapshot, long rows, long bytes, int blocks) {}

  @Override
  public TableCopyResult copy(MigrationPlan plan, ChangeCapture capture, TableInfo table, Heartbeat heartbeat) {
    long started = System.currentTimeMillis();
    String qualified = Sql.qualified(table.schema(), table.name());
    PgEndpoint sourceEndpoint = PgEndpoint.source(plan);
    PgEndpoint targetEndpoint = PgEndpoint.target(plan);
    try (Connection source = sourceEndpoint.connect(); Connection target = targetEndpoint.connect()) {
      // This session keeps the per-table advisory lock for the whole copy; the streams below
      // commit their chunks on sessions of their own.
      // The snapshot is checked first: a copy holding a dead or stale snapshot must fail before
      // it empties chunks that a copy under the live snapshot committed.
      importSnapshot(source, capture, table);
      prepareTarget(target, plan, table);
      Map<Integer, Chunk> done = recordedChunks(target, plan, table, capture);
      TableShape shape = shape(source, table);
      int blocks = chunkBlocks(done);
      int total = chunkCount(source, shape, blocks);
      Sql.exec(source, "COMMIT");

      int resumed = 0;
      long rows = 0;
      long bytes = 0;
      Queue<Integer> todo = new ConcurrentLinkedQueue<>();
      for (int i = 0; i < total; i++) {
        Chunk c = done.get(i);
        if (c != null) {
          resumed++;
          rows += c.rows();
          bytes += c.bytes();
        } else {
          todo.add(i);
        }
      }
      Progress progress = new Progress(table.qualifiedName(), total, resumed, rows, bytes, heartbeat);
      progress.beatNow();
      if (resumed > 0) {
        log.info("copy of {} resumes: {} of {} chunks already on the target", qualified, resumed, total);
      }

      String columns = shape.columns().stream().map(Sql::ident).collect(Collectors.joining(", "));
      String format = shape.binarySafe() ? "binary" : "text";
      Job job = new Job(plan, capture, table, qualified, columns, format, shape.partitioned(), blocks, total, todo,
          progress);
      int streams = Math.min(todo.size(), Math.max(1, plan.copyParallelism()));
      List<Future<?>> running = new ArrayList<>();
      for (int s = 0; s < streams; s++) running.add(STREAM_THREADS.submit(() -> stream(job)));
      awaitStreams(running, progress);

      long millis = System.currentTimeMillis() - started;
      log.info("copied {}: {} rows, {} bytes, {} chunks ({} resumed) on up to {} streams, {} COPY, in {} ms",
          qualified, progress.rows(), progress.bytes(), total, resumed, streams, format, millis);
      return new TableCopyResult(table.qualifiedName(), progress.rows(), progress.bytes(), millis, total, resumed);
    } catch (SQLException e) {
      throw copyFailed(table, sourceEndpoint, targetEndpoint, e);
    }
  }

  /**
   * One source session holds the snapshot for the whole batch and one target session takes the
   * tables in turn, so a small table costs a few statements instead of four new connections. A
   * table that turns out to need more than one chunk is handed to {@link #copy}, with its streams.
   */
  @Override
  public BatchCopyResult copyBatch(MigrationPlan plan, ChangeCapture capture, CopyBatch batch, Heartbeat heartbeat) {
    long started = System.currentTimeMillis();
    if (batch.tables().isEmpty()) return new BatchCopyResult(batch.label(), List.of(), 0);
    PgEndpoint sourceEndpoint = PgEndpoint.source(plan);
    PgEndpoint targetEndpoint = PgEndpoint.target(plan);
    List<TableCopyResult> results = new ArrayList<>();
    long[] done = {0, 0};
    int resumedTables = 0;
    TableInfo current = batch.tables().get(0);
    try (Connection source = sourceEndpoint.connect(); Connection target = targetEndpoint.connect()) {
      importSnapshot(source, capture, current);
      Sql.exec(target, "SET session_replication_role = replica");
      Sql.exec(target, "SET synchronous_commit = off");
      ensureBookkeeping(target);
      CopyManager out = source.unwrap(PGConnection.class).getCopyAPI();
      CopyManager in = target.unwrap(PGConnection.class).getCopyAPI();
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
      Sql.exec(source, "COMMIT");
    } catch (SQLException e) {
      throw copyFailed(current, sourceEndpoint, targetEndpoint, e);
    }
    long millis = System.currentTimeMillis() - started;
    log.info("copied {}: {} tables ({} already on the target), {} rows, {} bytes, in {} ms",
        batch.label(), results.size(), resumedTables, done[0], done[1], millis);
    return new BatchCopyResult(batch.label(), results, millis);
  }

  /** One table of a batch, on the batch's sessions; under the same per-table lock and bookkeeping as {@link #copy}. */
  private TableCopyResult copySmall(MigrationPlan plan, ChangeCapture capture, TableInfo table, Connection source,
      Connection target, CopyManager out, CopyManager in, Heartbeat heartbeat) throws SQLException {
    long started = System.currentTimeMillis();
    String lockKey = "phaseshift copy " + plan.name() + " " + table.qualifiedName();
    lock(target, plan, table, lockKey);
    try {
      Map<Integer, Chunk> recorded = recordedChunks(target, plan, table, capture);
      TableShape shape = shape(source, table);
      int blocks = chunkBlocks(recorded);
      int total = chunkCount(source, shape, blocks);
      if (total > 1) {
        // Grew past one chunk since the assessment: worth parallel streams. copy() takes the lock itself.
        unlock(target, lockKey);
        lockKey = null;
        return copy(plan, capture, table, heartbeat);
      }
      Chunk earlier = recorded.get(0);
      if (earlier != null) {
        return new TableCopyResult(table.qualifiedName(), earlier.rows(), earlier.bytes(),
            System.currentTimeMillis() - started, 1, 1);
      }
      String qualified = Sql.qualified(table.schema(), table.name());
      String columns = shape.columns().stream().map(Sql::ident).collect(Collectors.joining(", "));
      Progress progress = new Progress(table.qualifiedName(), 1, 0, 0, 0, Heartbeat.NONE);
      Job job = new Job(plan, capture, table, qualified, columns, shape.binarySafe() ? "binary" : "text",
          shape.partitioned(), blocks, 1, new ConcurrentLinkedQueue<>(), progress);
      target.setAutoCommit(false);
      try {
        copyChunk(job, 0, out, in, target);
      } finally {
        target.setAutoCommit(true);
      }
      return new TableCopyResult(table.qualifiedName(), progress.rows(), progress.bytes(),
          System.currentTimeMillis() - started, 1, 0);
    } finally {
      if (lockKey != null) unlock(target, lockKey);
    }
  }

  private static void unlock(Connection target, String lockKey) throws SQLException {
    Sql.one(target, "SELECT pg_advisory_unlock(hashtextextended(?, 0))", rs -> rs.getBoolean(1), lockKey);
  }

  private static IllegalStateException copyFailed(TableInfo table, PgEndpoint source, PgEndpoint target,
      SQLException e) {
    return new IllegalStateException("copy of " + table.qualifiedName() + " from " + source
        + " to " + target + " failed: " + e.getMessage(), e);
  }

  /** Opens a read-only transaction on the capture's exported snapshot, or reports it lost. */
  private void importSnapshot(Connection source, ChangeCapture capture, TableInfo table) throws SQLException {
    Sql.exec(source, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
    try {
      Sql.exec(source, "SET TRANSACTION SNAPSHOT " + Sql.literal(capture.snapshot()));
    } catch (SQLException e) {
      // 22023: no such snapshot (the worker that exported it stopped, or the capture was reset);
      // 55000: the exporting process is ending. Either way the snapshot is gone for good. Any
      // worker may copy, so this is how a copy learns that the exporting worker is gone.
      if ("22023".equals(e.getSQLState()) || "55000".equals(e.getSQLState())) {
        snapshots.release(PgNames.slot(capture), capture.snapshot());
        throw snapshotLost(capture, table, "the source no longer knows it (" + e.getMessage() + ")");
      }
      throw e;
    }
  }

  /** What every stream of one table copy shares. */
  private record Job(MigrationPlan plan, ChangeCapture capture, TableInfo table, String qualified,
      String columns, String format, boolean partitioned, int chunkBlocks, int total, Queue<Integer> todo,
      Progress progress) {}

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
      PgEndpoint sourceEndpoint = PgEndpoint.source(job.plan());
      PgEndpoint targetEndpoint = PgEndpoint.target(job.plan());
      try (Connection source = sourceEndpoint.connect(); Connection target = targetEndpoint.connect()) {
        importSnapshot(source, job.capture(), job.table());
        Sql.exec(target, "SET session_replication_role = replica");
        Sql.exec(target, "SET synchronous_commit = off");
        target.setAutoCommit(false);
        CopyManager out = source.unwrap(PGConnection.class).getCopyAPI();
        CopyManager in = target.unwrap(PGConnection.class).getCopyAPI();
        while (chunk != null) {
          if (!copyChunk(job, chunk, out, in, target)) return null;
          chunk = job.todo().poll();
        }
        Sql.exec(source, "COMMIT");
      } catch (SQLException e) {
        throw job.progress().fail(copyFailed(job.table(), sourceEndpoint, targetEndpoint, e));
      }
      return null;
    } catch (RuntimeException e) {
      throw job.progress().fail(e);
    } finally {
      permits.release();
    }
  }

  /** Copies one chunk and commits it with its bookkeeping row; false when the copy was called off. */
  private boolean copyChunk(Job job, int i, CopyManager out, CopyManager in, Connection target)
      throws SQLException {
    String select = "SELECT " + job.columns() + " FROM " + (job.partitioned() ? "" : "ONLY ") + job.qualified()
        + (job.total() == 1 ? "" : ctidRange(i, job.total(), job.chunkBlocks()));
    long chunkBytes = 0;
    CopyOut reader = null;
    CopyIn writer = null;
    try {
      writer = in.copyIn("COPY " + job.qualified() + " (" + job.columns() + ") FROM STDIN (FORMAT "
          + job.format() + ")");
      reader = out.copyOut("COPY (" + select + ") TO STDOUT (FORMAT " + job.format() + ")");
      // The source sends one message per row; passing them on one by one costs a message, a
      // lock and a flush check per row on the target side. COPY data is a plain byte stream, so
      // rows are gathered into larger messages.
      byte[] batch = new byte[COPY_BATCH_BYTES];
      int filled = 0;
      byte[] buf;
      while ((buf = reader.readFromCopy()) != null) {
        if (filled + buf.length > batch.length) {
          writer.writeToCopy(batch, 0, filled);
          job.progress().streamed(filled);
          chunkBytes += filled;
          filled = 0;
          if (job.progress().failed()) {
            cancel(writer, reader);
            rollbackQuietly(target);
            job.progress().streamed(-chunkBytes);
            return false;
          }
        }
        if (buf.length > batch.length) {
          writer.writeToCopy(buf, 0, buf.length);
          job.progress().streamed(buf.length);
          chunkBytes += buf.length;
        } else {
          System.arraycopy(buf, 0, batch, filled, buf.length);
          filled += buf.length;
        }
      }
      reader = null;
      if (filled > 0) {
        writer.writeToCopy(batch, 0, filled);
        job.progress().streamed(filled);
        chunkBytes += filled;
      }
      long chunkRows = writer.endCopy();
      writer = null;
      try (PreparedStatement ps = target.prepareStatement("INSERT INTO " + CHUNKS
          + " (migration, table_name, chunk, snapshot, rows, bytes, chunk_blocks) VALUES (?, ?, ?, ?, ?, ?, ?)")) {
        ps.setString(1, job.plan().name());
        ps.setString(2, job.table().qualifiedName());
        ps.setInt(3, i);
        ps.setString(4, job.capture().snapshot());
        ps.setLong(5, chunkRows);
        ps.setLong(6, chunkBytes);
        ps.setInt(7, job.chunkBlocks());
        ps.executeUpdate();
      }
      if (!job.progress().commit(target, chunkRows, chunkBytes)) {
        rollbackQuietly(target);
        job.progress().streamed(-chunkBytes);
        return false;
      }
      return true;
    } catch (SQLException | RuntimeException e) {
      cancel(writer, reader);
      rollbackQuietly(target);
      throw e;
    }
  }

  /**
   * Waits for the streams, heartbeating meanwhile: a stream may wait for a permit held by another
   * table's copy, and the activity must still look alive to Temporal while it does.
   */
  private static void awaitStreams(List<Future<?>> running, Progress progress) {
    try {
      for (Future<?> f : running) {
        while (true) {
          try {
            f.get(HEARTBEAT_MILLIS, TimeUnit.MILLISECONDS);
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
      progress.fail(new IllegalStateException("interrupted while copying " + progress.table));
      Thread.currentThread().interrupt();
      for (Future<?> f : running) f.cancel(true);
      throw new IllegalStateException("interrupted while copying " + progress.table, e);
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
   * The copy's progress across its streams. Commits and heartbeats happen under one monitor, so
   * a heartbeat reports exactly the chunks committed so far, and once anything failed (a stream,
   * or the heartbeat calling the activity off) no further chunk commits.
   */
  private static final class Progress {
    private final String table;
    private final int total;
    private final Heartbeat heartbeat;
    private final AtomicLong inFlightBytes = new AtomicLong();
    private final AtomicReference<RuntimeException> failure = new AtomicReference<>();
    private int finished;
    private long rows;
    private long bytes;
    private long lastBeat;

    Progress(String table, int total, int finished, long rows, long bytes, Heartbeat heartbeat) {
      this.table = table;
      this.total = total;
      this.finished = finished;
      this.rows = rows;
      this.bytes = bytes;
      this.heartbeat = heartbeat;
    }

    boolean failed() {
      return failure.get() != null;
    }

    RuntimeException failure() {
      return failure.get();
    }

    /** Records the copy's first failure and returns {@code e} for throwing. */
    RuntimeException fail(RuntimeException e) {
      failure.compareAndSet(null, e);
      return e;
    }

    void streamed(long delta) {
      inFlightBytes.addAndGet(delta);
    }

    synchronized long rows() {
      return rows;
    }

    synchronized long bytes() {
      return bytes;
    }

    /** Commits a chunk's transaction unless the copy was called off; false if it was. */
    synchronized boolean commit(Connection target, long chunkRows, long chunkBytes) throws SQLException {
      if (failed()) return false;
      target.commit();
      finished++;
      rows += chunkRows;
      bytes += chunkBytes;
      inFlightBytes.addAndGet(-chunkBytes);
      beatNow();
      return true;
    }

    synchronized void beatIfDue() {
      if (failed()) return;
      if (System.currentTimeMillis() - lastBeat >= HEARTBEAT_MILLIS) beatNow();
    }

    synchronized void beatNow() {
      lastBeat = System.currentTimeMillis();
      try {
        heartbeat.beat(new CopyProgress(table, finished, total, rows, bytes + Math.max(0, inFlightBytes.get())));
      } catch (RuntimeException e) {
        throw fail(e);
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

  /**
   * The chunk size of this table's copy: the one its recorded chunks were cut with, so a copy
   * resumed by a newer version with another default skips exactly the rows it has.
   */
  private int chunkBlocks(Map<Integer, Chunk> recorded) {
    return recorded.values().stream().findAny().map(Chunk::blocks).orElse(chunkBlocks);
  }

  private static int chunkCount(Connection source, TableShape shape, int blocks) throws SQLException {
    if (shape.partitioned() || serverVersionBelow14(source)) return 1;
    return (int) Math.max(1, (shape.blocks() + blocks - 1) / blocks);
  }

  /**
   * Rows at block b belong to chunk b / chunkBlocks in every attempt: the rows the snapshot sees
   * all lie below the table size read inside the snapshot, whenever it is read, so chunk
   * boundaries stay stable across retries even when the table grows or shrinks meanwhile. The
   * last chunk is open-ended; beyond the size it only meets rows the snapshot does not see.
   */
  private static String ctidRange(int chunk, int total, int chunkBlocks) {
    long from = (long) chunk * chunkBlocks;
    String lower = " WHERE ctid >= '(" + from + ",0)'::tid";
    if (chunk == total - 1) return lower;
    return lower + " AND ctid < '(" + (from + chunkBlocks) + ",0)'::tid";
  }

  private void prepareTarget(Connection target, MigrationPlan plan, TableInfo table) throws SQLException {
    // The copy bypasses user triggers and foreign key checks (they are replica-mode-aware):
    // the rows are a consistent copy of a database that already satisfied its constraints, and
    // triggers fired on the source when the rows were written. pg_dump's data load does the same.
    Sql.exec(target, "SET session_replication_role = replica");
    // Safe because each chunk commits with its bookkeeping row: a commit the target loses in a
    // crash loses both, and the retry copies that chunk again.
    Sql.exec(target, "SET synchronous_commit = off");
    ensureBookkeeping(target);
    lock(target, plan, table, "phaseshift copy " + plan.name() + " " + table.qualifiedName());
  }

  /** Session lock on the table's copy, so two attempts (single or batch) never write one table at once. */
  private static void lock(Connection target, MigrationPlan plan, TableInfo table, String lockKey) throws SQLException {
    Boolean mine = Sql.one(target,
        "SELECT pg_try_advisory_lock(hashtextextended(?, 0))", rs -> rs.getBoolean(1), lockKey);
    if (!Boolean.TRUE.equals(mine)) {
      // An earlier attempt Temporal gave up on may still run in some worker; its chunks commit
      // under the same bookkeeping, so this attempt fails and the next retry resumes after it.
      throw new IllegalStateException("another attempt is still copying " + table.qualifiedName()
          + " to " + PgEndpoint.target(plan) + "; retry once it has stopped");
    }
  }

  static boolean bookkeepingExists(Connection target) throws SQLException {
    return Sql.one(target, "SELECT to_regclass(?) IS NOT NULL", rs -> rs.getBoolean(1), CHUNKS);
  }

  private static void ensureBookkeeping(Connection target) throws SQLException {
    // The column exists only where the table does: one query answers both.
    if (Boolean.TRUE.equals(Sql.one(target, "SELECT EXISTS (SELECT 1 FROM pg_attribute"
        + " WHERE attrelid = to_regclass(?) AND attname = 'chunk_blocks' AND NOT attisdropped)",
        rs -> rs.getBoolean(1), CHUNKS))) {
      return;
    }
    target.setAutoCommit(false);
    try {
      // Parallel copies start together; without the lock their CREATE ... IF NOT EXISTS can
      // still collide on the catalog's unique indexes.
      Sql.one(target, "SELECT pg_advisory_xact_lock(hashtext('phaseshift.copy_chunk'))", rs -> 1);
      Sql.exec(target, "CREATE SCHEMA IF NOT EXISTS " + Sql.ident(PgNames.BOOKKEEPING_SCHEMA));
      Sql.exec(target, "CREATE TABLE IF NOT EXISTS " + CHUNKS + " ("
          + "migration text NOT NULL, table_name text NOT NULL, chunk int NOT NULL,"
          + " snapshot text NOT NULL, rows bigint NOT NULL, bytes bigint NOT NULL,"
          + " copied_at timestamptz NOT NULL DEFAULT now(),"
          + " PRIMARY KEY (migration, table_name, chunk))");
      // Left empty in rows written before it existed: those chunks are LEGACY_CHUNK_BLOCKS long.
      Sql.exec(target, "ALTER TABLE " + CHUNKS + " ADD COLUMN IF NOT EXISTS chunk_blocks int");
      target.commit();
    } catch (SQLException e) {
      rollbackQuietly(target);
      throw e;
    } finally {
      target.setAutoCommit(true);
    }
  }

  /**
   * Chunks an earlier attempt committed under this snapshot. Chunks of another snapshot are from
   * a copy the workflow abandoned: their rows are a different point in time, so they go.
   */
  private static Map<Integer, Chunk> recordedChunks(
      Connection target, MigrationPlan plan, TableInfo table, ChangeCapture capture) throws SQLException {
    String qualified = Sql.qualified(table.schema(), table.name());
    // ONLY keeps inheritance children out (they are tables of their own); a partitioned table
    // has no rows of its own, so there the partitions are meant.
    String relkind = Sql.one(target, "SELECT relkind::text FROM pg_class WHERE oid = to_regclass(?)",
        rs -> rs.getString(1), qualified);
    if (relkind == null) {
      throw new MigrationException(FailureTypes.PREREQUISITE,
          "target table " + table.qualifiedName() + " does not exist; the target schema must be"
              + " created before the copy");
    }
    String only = "p".equals(relkind) ? "" : "ONLY ";
    Map<Integer, Chunk> chunks = new HashMap<>();
    Sql.query(target, "SELECT chunk, snapshot, rows, bytes, chunk_blocks FROM " + CHUNKS
            + " WHERE migration = ? AND table_name = ?",
        rs -> chunks.put(rs.getInt(1), new Chunk(rs.getString(2), rs.getLong(3), rs.getLong(4),
            rs.getObject(5) == null ? LEGACY_CHUNK_BLOCKS : rs.getInt(5))),
        plan.name(), table.qualifiedName());
    boolean stale = chunks.values().stream().anyMatch(c -> !c.snapshot().equals(capture.snapshot()));
    if (stale) {
      target.setAutoCommit(false);
      try {
        Sql.exec(target, "TRUNCATE " + only + qualified);
        try (PreparedStatement ps = target.prepareStatement(
            "DELETE FROM " + CHUNKS + " WHERE migration = ? AND table_name = ?")) {
          ps.setString(1, plan.name());
          ps.setString(2, table.qualifiedName());
          ps.executeUpdate();
        }
        target.commit();
      } catch (SQLException e) {
        rollbackQuietly(target);
        throw e;
      } finally {
        target.setAutoCommit(true);
      }
      log.info("emptied {} on the target: its rows were copied under an earlier snapshot", qualified);
      return new HashMap<>();
    }
    if (chunks.isEmpty()) {
      Boolean hasRows = Sql.one(target, "SELECT EXISTS (SELECT 1 FROM " + only + qualified + ")",
          rs -> rs.getBoolean(1));
      if (Boolean.TRUE.equals(hasRows)) {
        // Rows without bookkeeping are not ours: copying on top would duplicate them.
        throw new MigrationException(FailureTypes.PREREQUISITE,
            "target table " + table.qualifiedName() + " already holds rows this migration did not"
                + " copy; empty it on the target (TRUNCATE " + qualified + ") and start again");
      }
    }
    return chunks;
  }

  private record TableShape(List<String> columns, boolean binarySafe, boolean partitioned, long blocks) {}

  /**
   * Read inside the snapshot transaction. Binary COPY is used unless a column is composite or an
   * array of a type that is not built in: those binary forms embed type OIDs, which differ between
   * servers.
   */
  private static TableShape shape(Connection source, TableInfo table) throws SQLException {
    String qualified = Sql.qualified(table.schema(), table.name());
    boolean generatedColumns = !serverVersionBelow(source, 120000);
    List<Object[]> cols = Sql.query(source,
        "SELECT a.attname, (bt.typtype = 'c' OR (bt.typlen = -1 AND bt.typelem <> 0"
            + "   AND (bt.typelem >= " + FIRST_NORMAL_OID + " OR et.typtype = 'c'))) AS embeds_oids"
            + " FROM pg_attribute a"
            + " JOIN pg_type t ON t.oid = a.atttypid"
            + " JOIN pg_type bt ON bt.oid = CASE WHEN t.typtype = 'd' THEN t.typbasetype ELSE t.oid END"
            + " LEFT JOIN pg_type et ON et.oid = bt.typelem"
            + " WHERE a.attrelid = ?::regclass AND a.attnum > 0 AND NOT a.attisdropped"
            + (generatedColumns ? " AND a.attgenerated = ''" : "")
            + " ORDER BY a.attnum",
        rs -> new Object[] {rs.getString(1), rs.getBoolean(2)}, qualified);
    if (cols.isEmpty()) {
      throw new MigrationException(FailureTypes.PREREQUISITE,
          "source table " + table.qualifiedName() + " has no columns to copy");
    }
    Object[] rel = Sql.one(source,
        "SELECT relkind::text, pg_relation_size(oid) / current_setting('block_size')::bigint"
            + " FROM pg_class WHERE oid = ?::regclass",
        rs -> new Object[] {rs.getString(1), rs.getLong(2)}, qualified);
    return new TableShape(
        cols.stream().map(c -> (String) c[0]).toList(),
        cols.stream().noneMatch(c -> (Boolean) c[1]),
        "p".equals(rel[0]),
        (Long) rel[1]);
  }

  /** TID range scans arrived in PostgreSQL 14; before, each chunk would scan the whole table. */
  private static boolean serverVersionBelow14(Connection c) throws SQLException {
    return serverVersionBelow(c, 140000);
  }

  private static boolean serverVersionBelow(Connection c, int version) throws SQLException {
    return PgChangeStream.serverVersion(c) < version;
  }

  private static MigrationException snapshotLost(ChangeCapture capture, TableInfo table, String why) {
    return new MigrationException(FailureTypes.SNAPSHOT_LOST,
        "cannot copy " + table.qualifiedName() + ": exported snapshot " + capture.snapshot()
            + " of slot " + PgNames.slot(capture) + " is gone, because " + why
            + "; the copy starts again from a new snapshot");
  }

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

  private static void rollbackQuietly(Connection c) {
    try {
      c.rollback();
    } catch (SQLException ignored) {
      // A broken connection has rolled back already.
    }
  }
}
