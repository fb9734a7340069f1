package dev.phaseshift.engine.postgres;

import dev.phaseshift.engine.Heartbeat;
import dev.phaseshift.model.CopyProgress;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The copy's progress across its streams. Commits and heartbeats happen under one monitor, so
 * a heartbeat reports exactly the chunks committed so far, and once anything failed (a stream,
 * or the heartbeat calling the activity off) no further chunk commits.
 */
final class ChunkProgress {
  /** How often a long copy reports progress; awaiting streams checks in at this pace too. */
  static final long HEARTBEAT_MILLIS = 2000;

  private final String table;
  private final int total;
  private final Heartbeat heartbeat;
  private final AtomicLong inFlightBytes = new AtomicLong();
  private final AtomicReference<RuntimeException> failure = new AtomicReference<>();
  private int finished;
  private long rows;
  private long bytes;
  private long lastBeat;

  ChunkProgress(String table, int total, int finished, long rows, long bytes, Heartbeat heartbeat) {
    this.table = table;
    this.total = total;
    this.finished = finished;
    this.rows = rows;
    this.bytes = bytes;
    this.heartbeat = heartbeat;
  }

  String table() {
    return table;
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
