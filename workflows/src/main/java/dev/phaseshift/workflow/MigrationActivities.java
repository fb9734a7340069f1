package dev.phaseshift.workflow;

import dev.phaseshift.model.Assessment;
import dev.phaseshift.model.BatchCopyResult;
import dev.phaseshift.model.CopyBatch;
import dev.phaseshift.model.ChangeCapture;
import dev.phaseshift.model.ClientAccess;
import dev.phaseshift.model.DatabaseCounters;
import dev.phaseshift.model.DatabaseIdentities;
import dev.phaseshift.model.Lag;
import dev.phaseshift.model.Notification;
import dev.phaseshift.model.OptimizationAdvice;

import dev.phaseshift.model.RehearsalRecord;
import dev.phaseshift.model.RollbackResult;
import dev.phaseshift.model.WindowOpening;
import dev.phaseshift.model.SwitchoverResult;
import dev.phaseshift.model.TableCopyResult;
import dev.phaseshift.model.TableInfo;
import dev.phaseshift.model.TableSlice;
import dev.phaseshift.model.TableStats;
import dev.phaseshift.model.ValidationResult;
import dev.phaseshift.model.VerificationBaseline;
import dev.phaseshift.model.VerificationReading;
import dev.phaseshift.model.VerificationSample;
import dev.phaseshift.model.VerifyResult;
import dev.phaseshift.model.WorkloadReport;
import dev.phaseshift.plan.MigrationPlan;
import io.temporal.activity.ActivityInterface;
import io.temporal.activity.ActivityMethod;
import java.util.List;

/**
 * The steps of a migration. Implementations pick the engine from the plan's endpoints; every
 * method is idempotent, so Temporal may retry any of them.
 */
@ActivityInterface
public interface MigrationActivities {
  /**
   * A copy heartbeats every few seconds; one silent this long lost its worker and is retried on
   * another. Short, so a killed worker's table is copied again within seconds, and public, so the
   * CLI can tell a silent copy from a slow one.
   */
  java.time.Duration COPY_HEARTBEAT_TIMEOUT = java.time.Duration.ofSeconds(20);

  /**
   * Validations and drift checks heartbeat every second from a thread of their own while they
   * compare; one silent this long lost its worker and is retried on another, instead of after the
   * step's hours-long limit. The comparison has no progress to keep: the retry compares afresh.
   */
  java.time.Duration VALIDATION_HEARTBEAT_TIMEOUT = java.time.Duration.ofSeconds(20);

  /** Reads both servers; changes nothing. Blockers come back as findings, not failures. */
  @ActivityMethod(name = "Assess")
  Assessment assess(MigrationPlan plan);

  /**
   * Takes the leases on the source and target databases, keyed by what their servers say they are:
   * fails as a prerequisite, naming the holder, when another migration uses either. A rehearsal
   * claims only its target, since it runs beside the real migration of its source. Idempotent.
   */
  @ActivityMethod(name = "ClaimDatabases")
  DatabaseIdentities claimDatabases(MigrationPlan plan);

  /** Gives up the leases {@link #claimDatabases} took; a lease held by someone else is left alone. */
  @ActivityMethod(name = "ReleaseDatabases")
  void releaseDatabases(MigrationPlan plan, DatabaseIdentities claimed);

  /**
   * Pauses the migration's drift check schedule, if there is one, with {@code note} saying why:
   * once the migration has ended no stream runs to compare through.
   */
  @ActivityMethod(name = "PauseDriftCheck")
  void pauseDriftCheck(MigrationPlan plan, String note);

  /** Creates the selected tables, sequences and types on the target, without indexes or constraints. */
  @ActivityMethod(name = "CreateTargetSchema")
  void createTargetSchema(MigrationPlan plan);

  /**
   * Starts recording the source's changes and takes the snapshot they start from. The worker that
   * runs this keeps the snapshot open until {@link #startChangeStream} or a reset; copies on any
   * worker read under it meanwhile.
   */
  @ActivityMethod(name = "StartChangeCapture")
  ChangeCapture startChangeCapture(MigrationPlan plan);

  /**
   * Copies one table under the capture's snapshot, chunk by chunk, heartbeating progress. A retry
   * skips the chunks already committed on the target. Runs on any worker; fails as SNAPSHOT_LOST
   * once the worker that exported the snapshot is gone.
   */
  @ActivityMethod(name = "CopyTable")
  TableCopyResult copyTable(MigrationPlan plan, ChangeCapture capture, TableInfo table);

  /**
   * Copies a batch of tables under the capture's snapshot, one after the other, heartbeating after
   * each. A retry skips the tables (and chunks) already committed on the target. Runs on any
   * worker, like {@link #copyTable}.
   */
  @ActivityMethod(name = "CopyTables")
  BatchCopyResult copyTables(MigrationPlan plan, ChangeCapture capture, CopyBatch batch);

  /** Builds indexes and constraints on the target after the bulk copy. */
  @ActivityMethod(name = "FinishTargetSchema")
  void finishTargetSchema(MigrationPlan plan);

  /** Streams the recorded changes to the target from the capture's start (no second copy) and releases the snapshot. */
  @ActivityMethod(name = "StartChangeStream")
  void startChangeStream(MigrationPlan plan, ChangeCapture capture);

  @ActivityMethod(name = "MeasureLag")
  Lag measureLag(MigrationPlan plan);

  /**
   * A scheduled drift check: compares source and target like {@link #validate}, through whichever
   * stream runs now (the forward one before the switchover, the reverse one after it). Fails as a
   * prerequisite, saying why, when no stream runs to compare through (never started, undone,
   * decommissioned).
   */
  @ActivityMethod(name = "CheckDrift")
  ValidationResult checkDrift(MigrationPlan plan);

  /** Counts and checksums every table on both sides at one consistent point, plus schema and sequences. */
  @ActivityMethod(name = "Validate")
  ValidationResult validate(MigrationPlan plan);

  /**
   * Holds client traffic at the router, freezes writes on the source, drains the stream, copies
   * sequences, hands writes to the target and points the router at it.
   */
  @ActivityMethod(name = "Switchover")
  SwitchoverResult switchover(MigrationPlan plan);

  /** Keeps the old database current from the new primary, for a rollback without loss. */
  @ActivityMethod(name = "StartReverseReplication")
  void startReverseReplication(MigrationPlan plan);

  /** Moves writes back to the old database through the reverse stream and the router. */
  @ActivityMethod(name = "Rollback")
  RollbackResult rollback(MigrationPlan plan);

  /** The maintenance window in progress at {@code afterMillis}, else the next one; null if none is left. */
  @ActivityMethod(name = "NextMaintenanceWindow")
  WindowOpening nextMaintenanceWindow(MigrationPlan plan, long afterMillis);

  /**
   * What holds the switchover back right before the freeze, described for operators: source write
   * transactions older than the plan's maxTransactionAge, and login roles that cannot log in on
   * the target yet (created there without a password the source role could not read).
   */
  @ActivityMethod(name = "LongWriteTransactions")
  List<String> longWriteTransactions(MigrationPlan plan);

  /**
   * Whether the target admits every client the source has shown during the migration (sampled
   * with each lag reading and by this check); each gap is a blocker saying what to change.
   */
  @ActivityMethod(name = "CheckClientAccess")
  ClientAccess checkClientAccess(MigrationPlan plan);

  @ActivityMethod(name = "PauseChangeStream")
  void pauseChangeStream(MigrationPlan plan);

  @ActivityMethod(name = "ResumeChangeStream")
  void resumeChangeStream(MigrationPlan plan);

  /** Compensation for a disposable target: drops the tables and bookkeeping the migration created. */
  @ActivityMethod(name = "DropTargetObjects")
  void dropTargetObjects(MigrationPlan plan);

  /** POSTs a notification to the plan's webhook. */
  @ActivityMethod(name = "Notify")
  void sendNotification(MigrationPlan plan, Notification notification);

  @ActivityMethod(name = "Verify")
  VerifyResult verify(MigrationPlan plan);

  /** Drops what the migration created on both sides: change capture, change streams, bookkeeping. */
  @ActivityMethod(name = "Decommission")
  void decommission(MigrationPlan plan);

  /** ANALYZEs the target and reports its tables. */
  @ActivityMethod(name = "Optimize")
  List<TableStats> optimize(MigrationPlan plan);

  /**
   * Undoes the change capture and the copied data so the copy can start again from a new
   * snapshot: removes the change stream and its capture, empties the target tables.
   */
  @ActivityMethod(name = "ResetCopy")
  void resetCopy(MigrationPlan plan);

  /**
   * Compensation for a migration that stops before switchover: removes the change stream and the
   * change capture, and releases any write freeze, so the source is as it was.
   */
  @ActivityMethod(name = "UndoChangeCapture")
  void undoChangeCapture(MigrationPlan plan);

  // ---- the verification window after the switchover (issue 13) ----

  /** One reading of the source's cumulative statistics, the first of the verification baseline. */
  @ActivityMethod(name = "VerificationCounters")
  DatabaseCounters verificationCounters(MigrationPlan plan);

  /**
   * The source's behaviour from {@code start} to now, right before the freeze: rollback share,
   * deadlock and failed-session rates, connections, and its top statements by total time.
   */
  @ActivityMethod(name = "VerificationBaseline")
  VerificationBaseline verificationBaseline(MigrationPlan plan, DatabaseCounters start);

  /**
   * Reads the new primary and the old database and compares with {@code previous}: the sample's
   * rates, the baseline's top statements as the new primary ran them, the reverse stream, and
   * clients still on the old database. With no {@code previous}, only the reading, which the next
   * sample starts from.
   */
  @ActivityMethod(name = "VerificationSample")
  VerificationSample verificationSample(MigrationPlan plan, VerificationBaseline baseline,
      VerificationReading previous);

  // ---- optimization advice (issue 13) ----

  /**
   * OPTIMIZE's advice on the new primary, after ANALYZE: freezes the copied tables when the plan
   * allows and reports their transaction-id age, statements slower than on the source with both
   * plans, indexes the source never used, tables without statistics, and settings that differ.
   */
  @ActivityMethod(name = "AdviseOptimization")
  OptimizationAdvice adviseOptimization(MigrationPlan plan);

  // ---- the assessment report and the rehearsal gate (issue 13, items 1 and 2) ----

  /**
   * Watches the source's activity statistics for the plan's {@code assessment.sample} and reports
   * the workload, growth, clients (with the target's verdict), the downtime forecast (from the
   * latest rehearsal when there is one) and the maintenance window that fits it. Changes nothing
   * on either server; heartbeats while it waits.
   *
   * @param selectedBytes the selected tables' size, which the copy estimate scales
   */
  @ActivityMethod(name = "AssessWorkload")
  WorkloadReport assessWorkload(MigrationPlan plan, long selectedBytes);

  /** The newest finished rehearsal of the plan (completed or failed); null when it has none. */
  @ActivityMethod(name = "LatestRehearsal")
  RehearsalRecord latestRehearsal(MigrationPlan plan);

  // ---- scale-out of one table's copy over every worker on the queue ----

  /**
   * Copies one slice of a large table under the capture's snapshot: its share of the table's
   * chunks, heartbeating progress. The other slices run at the same time on any worker; a retry
   * skips the slice's chunks already committed on the target. Fails as SNAPSHOT_LOST like
   * {@link #copyTable}.
   */
  @ActivityMethod(name = "CopyTableSlice")
  TableCopyResult copyTableSlice(MigrationPlan plan, ChangeCapture capture, TableSlice slice);

  /**
   * Holds a second export of the capture's snapshot on another worker than the one that took it,
   * for as long as the snapshot is needed: if the snapshot's worker dies meanwhile, copies read
   * the replica and the copy goes on instead of starting over. {@link #startChangeStream} (or a
   * reset or undo) ends the replica's session with the original's; the attempt after that finds
   * the snapshot gone and returns. Steps aside (fails, to be retried elsewhere) on the snapshot's
   * own worker.
   */
  @ActivityMethod(name = "HoldSnapshotReplica")
  void holdSnapshotReplica(MigrationPlan plan, ChangeCapture capture);

  // ---- 100,000 tables (issue 15, item 6) ----

  /**
   * The copy's batches of a schema whose assessment does not carry every table: the selected
   * tables read from the source and batched as {@link CopyBatching} does; the tables of every batch
   * of more than one are kept in the target's bookkeeping, and their batches name them by number
   * only ({@link CopyBatch#stored()}). A table copied alone is listed. Idempotent: a retry plans anew.
   */
  @ActivityMethod(name = "PlanCopyBatches")
  List<CopyBatch> planCopyBatches(MigrationPlan plan);
}
