package dev.phaseshift.activities;

import dev.phaseshift.engine.Engine;
import dev.phaseshift.engine.EngineRegistry;
import dev.phaseshift.engine.Heartbeat;
import dev.phaseshift.model.Assessment;
import dev.phaseshift.model.BatchCopyResult;
import dev.phaseshift.model.CopyBatch;
import dev.phaseshift.model.ChangeCapture;
import dev.phaseshift.model.ClientAccess;
import dev.phaseshift.model.DatabaseIdentities;
import dev.phaseshift.model.Lag;
import dev.phaseshift.model.Notification;
import dev.phaseshift.model.RehearsalRecord;
import dev.phaseshift.model.RollbackResult;
import dev.phaseshift.model.WindowOpening;
import dev.phaseshift.router.Router;
import dev.phaseshift.router.Routers;
import dev.phaseshift.model.SwitchoverResult;
import dev.phaseshift.model.TableCopyResult;
import dev.phaseshift.model.TableInfo;
import dev.phaseshift.model.TableSlice;
import dev.phaseshift.model.TableStats;
import dev.phaseshift.model.ValidationResult;
import dev.phaseshift.model.DatabaseCounters;
import dev.phaseshift.model.OptimizationAdvice;
import dev.phaseshift.model.VerificationBaseline;
import dev.phaseshift.model.VerificationReading;
import dev.phaseshift.model.VerificationSample;
import dev.phaseshift.model.VerifyResult;
import dev.phaseshift.model.WorkloadReport;
import dev.phaseshift.plan.DurationText;
import dev.phaseshift.plan.MigrationPlan;
import dev.phaseshift.workflow.MigrationActivities;
import io.temporal.activity.Activity;
import io.temporal.client.WorkflowClient;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BiFunction;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Temporal's face of the engines: picks the engine for the plan, forwards heartbeats, and turns
 * engine failures into typed application failures whose type says whether retrying can help
 * (see {@link StepFailures}).
 */
public class MigrationActivitiesImpl implements MigrationActivities {
  private static final Logger log = LoggerFactory.getLogger(MigrationActivitiesImpl.class);
  /** The step that first connects to both servers; an unreachable one fails it after a few attempts. */
  static final String FIRST_CONTACT = "assess";
  private final EngineRegistry engines;
  private final Notifier notifier = new Notifier();
  private final MigrationMetrics metrics;
  /**
   * Both null when steps run outside a worker (tests that call a step directly): no Temporal client,
   * so there is no lease to take and no schedule to pause.
   */
  private final DatabaseLeases leases;
  private final DriftCheckSchedules driftChecks;
  /** Null outside a worker, like the leases: no Temporal to ask, so no rehearsal is found. */
  private final LatestRehearsals rehearsals;

  public MigrationActivitiesImpl(EngineRegistry engines) {
    this(engines, MigrationMetrics.none(), null);
  }

  MigrationActivitiesImpl(EngineRegistry engines, MigrationMetrics metrics, WorkflowClient client) {
    this.engines = engines;
    this.metrics = metrics;
    this.leases = client == null ? null : new DatabaseLeases(client);
    this.driftChecks = client == null ? null : new DriftCheckSchedules(client);
    this.rehearsals = client == null ? null : new LatestRehearsals(client);
  }

  @Override
  public Assessment assess(MigrationPlan plan) {
    return call("assess", plan, e -> e.inspector().assess(plan));
  }

  @Override
  public DatabaseIdentities claimDatabases(MigrationPlan plan) {
    return call("claimDatabases", plan, e -> {
      DatabaseIdentities ids = e.inspector().identify(plan);
      return leases == null ? ids : leases.claim(workflowId(), plan, ids);
    });
  }

  @Override
  public void releaseDatabases(MigrationPlan plan, DatabaseIdentities claimed) {
    if (leases != null && claimed != null) leases.release(workflowId(), claimed);
  }

  @Override
  public void pauseDriftCheck(MigrationPlan plan, String note) {
    if (driftChecks != null) driftChecks.pause(plan.name(), note);
  }

  private static String workflowId() {
    return Activity.getExecutionContext().getInfo().getWorkflowId();
  }

  @Override
  public void createTargetSchema(MigrationPlan plan) {
    run("createTargetSchema", plan, e -> e.schemaCopier().createTables(plan));
  }

  @Override
  public ChangeCapture startChangeCapture(MigrationPlan plan) {
    return call("startChangeCapture", plan, e -> e.changeStream().start(plan));
  }

  @Override
  public TableCopyResult copyTable(MigrationPlan plan, ChangeCapture capture, TableInfo table) {
    MigrationMetrics.CopyRecorder recorder = metrics.copy(plan.name(), table.qualifiedName());
    Heartbeat heartbeat = heartbeat(recorder);
    TableCopyResult result = call("copyTable", plan, e -> e.bulkCopier().copy(plan, capture, table, heartbeat));
    recorder.finished(result);
    return result;
  }

  @Override
  public TableCopyResult copyTableSlice(MigrationPlan plan, ChangeCapture capture, TableSlice slice) {
    // The table's series, shared by its slices: summed over workers it is the table's progress.
    MigrationMetrics.CopyRecorder recorder = metrics.copy(plan.name(), slice.table().qualifiedName());
    Heartbeat heartbeat = heartbeat(recorder);
    TableCopyResult result = call("copyTableSlice", plan, e -> e.bulkCopier().copySlice(plan, capture, slice, heartbeat));
    recorder.sliceFinished(result);
    return result;
  }

  @Override
  public void holdSnapshotReplica(MigrationPlan plan, ChangeCapture capture) {
    var context = Activity.getExecutionContext();
    boolean held = call("holdSnapshotReplica", plan, e -> {
      try {
        return e.bulkCopier().holdSnapshotReplica(plan, capture, context::heartbeat);
      } catch (io.temporal.client.ActivityCompletionException over) {
        // The migration moved on or is gone: nothing to keep.
        log.info("replica of snapshot {} of {} released: {}", capture.snapshot(), plan.name(),
            over.getClass().getSimpleName());
        return true;
      }
    });
    if (!held) throw StepFailures.replicaStepsAside(capture.snapshot());
  }

  @Override
  public List<CopyBatch> planCopyBatches(MigrationPlan plan) {
    return call("planCopyBatches", plan, e -> e.bulkCopier().planBatches(plan));
  }

  @Override
  public BatchCopyResult copyTables(MigrationPlan plan, ChangeCapture capture, CopyBatch batch) {
    // One series per batch, not per table: 10,000 tables would mean 30,000 series.
    MigrationMetrics.CopyRecorder recorder = metrics.copy(plan.name(), batch.label());
    Heartbeat heartbeat = heartbeat(recorder);
    BatchCopyResult result = call("copyTables", plan, e -> e.bulkCopier().copyBatch(plan, capture, batch, heartbeat));
    recorder.finished(result);
    return result;
  }

  /**
   * Copy progress to the metrics and to Temporal. The context is taken here, on the activity's
   * thread: the engine may report from its copy streams' threads.
   */
  private static Heartbeat heartbeat(MigrationMetrics.CopyRecorder recorder) {
    var context = Activity.getExecutionContext();
    return progress -> {
      recorder.progress(progress);
      context.heartbeat(progress);
    };
  }

  @Override
  public void finishTargetSchema(MigrationPlan plan) {
    run("finishTargetSchema", plan, e -> e.schemaCopier().createIndexesAndConstraints(plan));
  }

  @Override
  public void startChangeStream(MigrationPlan plan, ChangeCapture capture) {
    run("startChangeStream", plan, e -> e.changeStream().attach(plan, capture));
  }

  @Override
  public Lag measureLag(MigrationPlan plan) {
    Lag lag = call("measureLag", plan, e -> e.changeStream().lag(plan)).at(java.time.Instant.now());
    metrics.lag(plan.name(), lag);
    recordClients(plan);
    return lag;
  }

  /**
   * The lag is read throughout the migration, so each reading also samples the source's clients
   * for the access check. A sample that fails costs only that sample: the lag stays valid.
   */
  private void recordClients(MigrationPlan plan) {
    try {
      engines.forPlan(plan).inspector().recordClients(plan);
    } catch (RuntimeException e) {
      log.warn("clients of {} not sampled with this lag reading: {}", plan.name(), e.getMessage());
    }
  }

  @Override
  public ClientAccess checkClientAccess(MigrationPlan plan) {
    return call("checkClientAccess", plan, e -> e.inspector().clientAccess(plan));
  }

  @Override
  public ValidationResult validate(MigrationPlan plan) {
    return compare("validate", "validation", plan, e -> e.validator().validate(plan));
  }

  @Override
  public ValidationResult checkDrift(MigrationPlan plan) {
    return compare("checkDrift", "drift check", plan, e -> e.validator().checkDrift(plan));
  }

  /** A comparison heartbeats throughout, so a dead worker's comparison is retried within seconds. */
  private ValidationResult compare(String name, String doing, MigrationPlan plan,
      Function<Engine, ValidationResult> step) {
    ValidationResult result;
    try (StepHeartbeat beating = StepHeartbeat.start(doing)) {
      result = call(name, plan, step);
    }
    metrics.validation(plan.name(), result);
    return result;
  }

  @Override
  public SwitchoverResult switchover(MigrationPlan plan) {
    SwitchoverResult switched = call("switchover", plan, e -> {
      // Before anything is held or frozen: the source must still be the database PREPARE leased.
      if (leases != null) leases.confirmSource(workflowId(), plan, e.inspector().identify(plan).source());
      return moveWrites(plan, Router.Side.TARGET, hold -> e.cutover().switchover(plan, hold),
          (result, held) -> result.withRouterPause(held));
    });
    metrics.switchover(plan.name(), switched);
    return switched;
  }

  @Override
  public void startReverseReplication(MigrationPlan plan) {
    run("startReverseReplication", plan, e -> e.cutover().startReverseReplication(plan));
  }

  @Override
  public RollbackResult rollback(MigrationPlan plan) {
    return call("rollback", plan, e -> moveWrites(plan, Router.Side.SOURCE,
        hold -> { hold.run(); return e.cutover().rollback(plan); }, (result, held) -> result));
  }

  /**
   * The switch with traffic held at the plan's router around it (see {@link RoutedMove}),
   * heartbeating throughout so a dead worker's step moves to another worker within seconds.
   */
  private <T> T moveWrites(MigrationPlan plan, Router.Side to, Function<Runnable, T> move,
      BiFunction<T, Long, T> withPause) {
    try (StepHeartbeat beating = StepHeartbeat.start(to == Router.Side.TARGET ? "switchover" : "rollback")) {
      Router router = Routers.forPlan(plan);
      RoutedMove.Timed<T> moved = RoutedMove.run(router, plan, to, move);
      return withPause.apply(moved.result(), router.switchesConnections() ? moved.heldMillis() : null);
    }
  }

  @Override
  public WindowOpening nextMaintenanceWindow(MigrationPlan plan, long afterMillis) {
    return call("nextMaintenanceWindow", plan, e -> MaintenanceWindows.next(plan, afterMillis));
  }

  @Override
  public List<String> longWriteTransactions(MigrationPlan plan) {
    // Also what else holds the switchover back right before the freeze: login roles not ready.
    return call("longWriteTransactions", plan, e -> {
      List<String> holds = new ArrayList<>(e.cutover().longWriteTransactions(plan));
      holds.addAll(e.cutover().loginsNotReady(plan));
      return holds;
    });
  }

  @Override
  public void pauseChangeStream(MigrationPlan plan) {
    run("pauseChangeStream", plan, e -> e.changeStream().pause(plan));
  }

  @Override
  public void resumeChangeStream(MigrationPlan plan) {
    run("resumeChangeStream", plan, e -> e.changeStream().resume(plan));
  }

  @Override
  public void dropTargetObjects(MigrationPlan plan) {
    run("dropTargetObjects", plan, e -> e.cutover().dropTargetObjects(plan));
  }

  @Override
  public void sendNotification(MigrationPlan plan, Notification notification) {
    if (plan.webhookUrl() != null) notifier.send(plan.webhookUrl(), notification);
  }

  @Override
  public VerifyResult verify(MigrationPlan plan) {
    return call("verify", plan, e -> e.cutover().verify(plan));
  }

  @Override
  public void decommission(MigrationPlan plan) {
    run("decommission", plan, e -> e.cutover().decommission(plan));
  }

  @Override
  public List<TableStats> optimize(MigrationPlan plan) {
    return call("optimize", plan, e -> e.cutover().optimize(plan));
  }

  @Override
  public void resetCopy(MigrationPlan plan) {
    run("resetCopy", plan, e -> e.changeStream().reset(plan));
  }

  @Override
  public void undoChangeCapture(MigrationPlan plan) {
    run("undoChangeCapture", plan, e -> e.changeStream().undo(plan));
  }

  // ---- the verification window after the switchover (issue 13) ----

  @Override
  public DatabaseCounters verificationCounters(MigrationPlan plan) {
    return call("verificationCounters", plan, e -> e.verificationProbe().sourceCounters(plan));
  }

  @Override
  public VerificationBaseline verificationBaseline(MigrationPlan plan, DatabaseCounters start) {
    return call("verificationBaseline", plan, e -> e.verificationProbe().baseline(plan, start));
  }

  @Override
  public VerificationSample verificationSample(MigrationPlan plan, VerificationBaseline baseline,
      VerificationReading previous) {
    return call("verificationSample", plan, e -> e.verificationProbe().sample(plan, baseline, previous));
  }

  // ---- optimization advice (issue 13) ----

  @Override
  public OptimizationAdvice adviseOptimization(MigrationPlan plan) {
    // VACUUM (FREEZE) of a large table reports nothing for minutes; a retry skips pages already frozen.
    try (StepHeartbeat beating = StepHeartbeat.start("optimization advice")) {
      return call("adviseOptimization", plan, e -> e.optimizationAdvisor().advise(plan));
    }
  }

  // ---- assessment report and rehearsal gate (issue 13) ----

  @Override
  public WorkloadReport assessWorkload(MigrationPlan plan, long selectedBytes) {
    long sample = DurationText.parse(plan.assessmentSampleOrDefault()).toMillis();
    Runnable beat = CurrentActivity.heartbeat();
    // Heartbeats from a thread of its own also while the servers are read around the sample.
    try (StepHeartbeat beating = StepHeartbeat.start("workload sample")) {
      return sampleWorkload(plan, selectedBytes, sample, beat);
    }
  }

  private WorkloadReport sampleWorkload(MigrationPlan plan, long selectedBytes, long sample, Runnable beat) {
    return call("assessWorkload", plan, e -> ReadinessPlanning.complete(e.inspector().workload(plan, sample, beat),
        plan, selectedBytes, () -> latestRehearsal(plan)));
  }

  @Override
  public RehearsalRecord latestRehearsal(MigrationPlan plan) {
    return rehearsals == null ? null : rehearsals.latest(plan.name());
  }

  private void run(String name, MigrationPlan plan, java.util.function.Consumer<Engine> step) {
    call(name, plan, e -> {
      step.accept(e);
      return null;
    });
  }

  private <T> T call(String name, MigrationPlan plan, Function<Engine, T> step) {
    long start = System.nanoTime();
    boolean succeeded = false;
    try {
      T result = step.apply(engines.forPlan(plan));
      succeeded = true;
      return result;
    } catch (RuntimeException e) {
      int attempt = CurrentActivity.attempt();
      log.warn("step {} of {} failed on attempt {}", name, plan.name(), attempt, e);
      throw StepFailures.of(e, FIRST_CONTACT.equals(name), attempt);
    } finally {
      metrics.step(plan.name(), name, System.nanoTime() - start, succeeded);
    }
  }
}
