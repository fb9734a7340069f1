package dev.phaseshift.workflow;

import dev.phaseshift.model.Assessment;
import dev.phaseshift.model.BatchCopyResult;
import dev.phaseshift.model.CopyBatch;
import dev.phaseshift.model.ChangeCapture;
import dev.phaseshift.model.DatabaseCounters;
import dev.phaseshift.model.DatabaseIdentities;
import dev.phaseshift.model.DatabaseIdentity;
import dev.phaseshift.model.Finding;
import dev.phaseshift.model.Lag;
import dev.phaseshift.model.Notification;
import dev.phaseshift.model.OptimizationAdvice;
import dev.phaseshift.model.Position;
import dev.phaseshift.model.RollbackResult;
import dev.phaseshift.model.WindowOpening;
import dev.phaseshift.model.SequenceValue;
import dev.phaseshift.model.ServerInfo;
import dev.phaseshift.model.Severity;
import dev.phaseshift.model.SwitchoverResult;
import dev.phaseshift.model.TableCopyResult;
import dev.phaseshift.model.TableInfo;
import dev.phaseshift.model.TableSlice;
import dev.phaseshift.model.TableStats;
import dev.phaseshift.model.TableValidation;
import dev.phaseshift.model.ValidationResult;
import dev.phaseshift.model.StatementLatency;
import dev.phaseshift.model.StatementTime;
import dev.phaseshift.model.VerificationBaseline;
import dev.phaseshift.model.VerificationReading;
import dev.phaseshift.model.VerificationSample;
import dev.phaseshift.model.VerifyResult;
import dev.phaseshift.plan.MigrationPlan;
import io.temporal.failure.ApplicationFailure;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Activities for workflow-logic tests: they record every call and answer as a healthy pair of
 * servers would, unless told to fail a step. The engines themselves are tested against real
 * PostgreSQL in the activities module.
 */
public class ScriptedActivities implements MigrationActivities {
  /** Where the scripted stream stands: the target has applied everything the source wrote. */
  static final Position DRAINED = new Position(0x2000000, "0/2000000");

  public final List<String> calls = Collections.synchronizedList(new ArrayList<>());
  private final Map<String, String> failures = new HashMap<>();
  private final Map<String, Integer> failTimes = new HashMap<>();
  public volatile List<Finding> findings = List.of();
  public volatile long lagBytes = 0;
  /** The source's tables as the assessment reports them; a test may script a large schema. */
  public volatile List<TableInfo> schema = tables();

  /** {@code count} small tables named {@code public.t00001}..., the shape of a schema with many tables. */
  public static List<TableInfo> manySmallTables(int count) {
    List<TableInfo> many = new ArrayList<>(count);
    for (int i = 1; i <= count; i++) {
      many.add(new TableInfo("public", String.format("t%05d", i), 16_384 + i, 10, true, "default", false));
    }
    return many;
  }

  /** Makes {@code step} fail with a non-retryable failure of {@code type}, {@code times} times. */
  public ScriptedActivities failing(String step, String type, int times) {
    failures.put(step, type);
    failTimes.put(step, times);
    return this;
  }

  private final Map<String, Integer> retryableFailures = new HashMap<>();

  /** Makes {@code step} fail with a retryable failure {@code times} times, as a lost connection would. */
  public ScriptedActivities failRetryably(String step, int times) {
    synchronized (this) {
      retryableFailures.put(step, times);
    }
    return this;
  }

  private final Map<String, java.util.concurrent.CountDownLatch> holds = new java.util.concurrent.ConcurrentHashMap<>();

  /** Makes {@code step} block (heartbeating, so it notices cancellation) until {@link #release}. */
  public ScriptedActivities holding(String step) {
    holds.put(step, new java.util.concurrent.CountDownLatch(1));
    return this;
  }

  public void release(String step) {
    var latch = holds.remove(step);
    if (latch != null) latch.countDown();
  }

  void step(String name) {
    synchronized (this) {
      calls.add(name);
      Integer left = failTimes.get(name);
      if (left != null && left > 0) {
        failTimes.put(name, left - 1);
        throw ApplicationFailure.newNonRetryableFailure(name + " failed on purpose", failures.get(name));
      }
      Integer retryable = retryableFailures.get(name);
      if (retryable != null && retryable > 0) {
        retryableFailures.put(name, retryable - 1);
        throw ApplicationFailure.newFailure(name + " failed on purpose, retryably", "Transient");
      }
    }
    var latch = holds.get(name);
    if (latch == null) return;
    try {
      while (!latch.await(50, java.util.concurrent.TimeUnit.MILLISECONDS)) {
        io.temporal.activity.Activity.getExecutionContext().heartbeat(null);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  public static List<TableInfo> tables() {
    return List.of(
        new TableInfo("public", "orders", 3_000_000, 30_000, true, "default", false),
        new TableInfo("public", "customers", 1_000_000, 10_000, true, "default", false),
        new TableInfo("public", "events", 2_000_000, 50_000, false, "full", false));
  }

  @Override
  public Assessment assess(MigrationPlan plan) {
    step("assess");
    ServerInfo server = new ServerInfo("15.18", 150018, "logical", 10, 10, 6_000_000, List.of("plpgsql"), 0);
    return Assessment.of(server, server, schema, List.of("public.orders_id_seq"), List.of(), findings);
  }

  @Override
  public void createTargetSchema(MigrationPlan plan) {
    step("createTargetSchema");
  }

  @Override
  public ChangeCapture startChangeCapture(MigrationPlan plan) {
    step("startChangeCapture");
    return new ChangeCapture(plan.objectName(), "00000003-0000001B-1", new Position(0x1A2B3C, "0/1A2B3C"));
  }

  @Override
  public TableCopyResult copyTable(MigrationPlan plan, ChangeCapture capture, TableInfo table) {
    step("copyTable");
    return new TableCopyResult(table.qualifiedName(), table.estimatedRows(), table.bytes(), 100, 1, 0);
  }

  @Override
  public BatchCopyResult copyTables(MigrationPlan plan, ChangeCapture capture, CopyBatch batch) {
    step("copyTables");
    List<TableInfo> tables = batch.stored() == null ? batch.tables() : storedBatches.get(batch.stored().number());
    return BatchCopyResult.bounded(batch.label(), tables.stream()
        .map(t -> new TableCopyResult(t.qualifiedName(), t.estimatedRows(), t.bytes(), 100, 1, 0)).toList(), 100);
  }

  /** Batches "kept on the target" by {@link #planCopyBatches}, by number. */
  final Map<Integer, List<TableInfo>> storedBatches = new ConcurrentHashMap<>();

  @Override
  public List<CopyBatch> planCopyBatches(MigrationPlan plan) {
    step("planCopyBatches");
    List<CopyBatch> batches = CopyBatching.batches(CopyBatching.largestFirst(schema), plan.copyParallelism());
    List<CopyBatch> references = new ArrayList<>();
    for (int i = 0; i < batches.size(); i++) {
      CopyBatch b = batches.get(i);
      if (b.tables().size() == 1) {
        references.add(b);
        continue;
      }
      storedBatches.put(i + 1, b.tables());
      references.add(new CopyBatch(b.label(), List.of(), new CopyBatch.Stored(i + 1, b.tables().size(), b.bytes())));
    }
    return references;
  }

  @Override
  public TableCopyResult copyTableSlice(MigrationPlan plan, ChangeCapture capture, TableSlice slice) {
    step("copyTableSlice");
    // A slice's share of the table, so the slices of one table add up to it.
    TableInfo t = slice.table();
    return new TableCopyResult(t.qualifiedName(), t.estimatedRows() / slice.slices(), t.bytes() / slice.slices(),
        100, 1, 0);
  }

  /** Ends at once, as when there is no snapshot to keep; not among {@link #calls}, which tests read step by step. */
  @Override
  public void holdSnapshotReplica(MigrationPlan plan, ChangeCapture capture) {}

  @Override
  public void finishTargetSchema(MigrationPlan plan) {
    step("finishTargetSchema");
  }

  @Override
  public void startChangeStream(MigrationPlan plan, ChangeCapture capture) {
    step("startChangeStream");
  }

  @Override
  public Lag measureLag(MigrationPlan plan) {
    step("measureLag");
    return new Lag(lagBytes, DRAINED, DRAINED);
  }

  /** The databases as the scripted servers identify themselves. */
  public static final DatabaseIdentities DATABASES = new DatabaseIdentities(
      new DatabaseIdentity("7300000000000000001", 16384, "shop", "old-db:5432/shop"),
      new DatabaseIdentity("7300000000000000002", 16384, "shop", "new-db:5432/shop"));

  /** Claims and releases, apart from {@link #calls}: they bracket every run, and the tests of steps read calls. */
  public final List<String> leaseCalls = Collections.synchronizedList(new ArrayList<>());
  /** When set, the claim is refused with this message, as when another migration holds a database. */
  public volatile String claimRefusal;

  @Override
  public DatabaseIdentities claimDatabases(MigrationPlan plan) {
    leaseCalls.add("claim");
    if (claimRefusal != null) throw ApplicationFailure.newNonRetryableFailure(claimRefusal, FailureTypes.PREREQUISITE);
    return DATABASES;
  }

  @Override
  public void releaseDatabases(MigrationPlan plan, DatabaseIdentities claimed) {
    leaseCalls.add("release");
  }

  @Override
  public void pauseDriftCheck(MigrationPlan plan, String note) {
    leaseCalls.add("pauseDriftCheck: " + note);
  }

  @Override
  public ValidationResult checkDrift(MigrationPlan plan) {
    step("checkDrift");
    return validate(plan);
  }

  @Override
  public ValidationResult validate(MigrationPlan plan) {
    step("validate");
    // As the real validator does: every table compared, a bounded number listed.
    List<TableValidation> tables = schema.stream().limit(ValidationResult.LISTED)
        .map(t -> new TableValidation(t.qualifiedName(), t.estimatedRows(), t.estimatedRows(), "1", "1", true))
        .toList();
    return new ValidationResult(DRAINED, tables, List.of(new SequenceValue("public.orders_id_seq", 30_000L, 1L)),
        List.of(), 0, 50, schema.size(), 1);
  }

  @Override
  public SwitchoverResult switchover(MigrationPlan plan) {
    step("switchover");
    return new SwitchoverResult(420, new Position(0x2000100, "0/2000100"), 1, 3);
  }

  /** From this sample on (1 = the first judged one), the top statement runs this many times slower; 0: never. */
  public volatile int regressFromSample = 0;
  private final java.util.concurrent.atomic.AtomicInteger samplesTaken = new java.util.concurrent.atomic.AtomicInteger();
  static final String TOP_STATEMENT = "SELECT amount FROM orders WHERE ref = $1";

  @Override
  public DatabaseCounters verificationCounters(MigrationPlan plan) {
    step("verificationCounters");
    return counters();
  }

  private static DatabaseCounters counters() {
    return new DatabaseCounters(0, 1000, 10, 0, 0L, 8, List.of(new StatementTime(TOP_STATEMENT, 100, 10)), true);
  }

  @Override
  public VerificationBaseline verificationBaseline(MigrationPlan plan, DatabaseCounters start) {
    step("verificationBaseline");
    return new VerificationBaseline(60, 1000, 0.01, 0, 0.0, 8, List.of(new StatementTime(TOP_STATEMENT, 1000, 100)));
  }

  @Override
  public VerificationSample verificationSample(MigrationPlan plan, VerificationBaseline baseline,
      VerificationReading previous) {
    step("verificationSample");
    VerificationReading reading = new VerificationReading(counters(), counters());
    if (previous == null) {
      return new VerificationSample(reading, 0, 0, 0, 0, null, 0, List.of(), null, null, List.of(), 0, 0, 0);
    }
    int n = samplesTaken.incrementAndGet();
    double mean = regressFromSample > 0 && n >= regressFromSample ? 12.5 : 2.5;
    return new VerificationSample(reading, 30, 500, 0.01, 0, 0.0, 8,
        List.of(new StatementLatency(TOP_STATEMENT, 2.5, mean, 400)), true, 0L, List.of(), 0, 0, 0);
  }

  @Override
  public OptimizationAdvice adviseOptimization(MigrationPlan plan) {
    step("adviseOptimization");
    return new OptimizationAdvice(false, 200_000_000, 6_000_000, List.of(), List.of(), List.of(), List.of(), List.of(),
        List.of());
  }

  @Override
  public VerifyResult verify(MigrationPlan plan) {
    step("verify");
    return new VerifyResult(true, 0, List.of(), true);
  }

  @Override
  public void decommission(MigrationPlan plan) {
    step("decommission");
  }

  @Override
  public List<TableStats> optimize(MigrationPlan plan) {
    step("optimize");
    return schema.stream().limit(100).map(t -> new TableStats(t.qualifiedName(), t.estimatedRows(), t.bytes())).toList();
  }

  @Override
  public void resetCopy(MigrationPlan plan) {
    step("resetCopy");
  }

  @Override
  public void undoChangeCapture(MigrationPlan plan) {
    step("undoChangeCapture");
  }


  public final List<Notification> notifications = Collections.synchronizedList(new ArrayList<>());
  /** Maintenance windows to hand out, in order; empty means "no window left". */
  public final List<WindowOpening> windows = Collections.synchronizedList(new ArrayList<>());
  public volatile List<String> longTransactions = List.of();

  @Override
  public void startReverseReplication(MigrationPlan plan) {
    step("startReverseReplication");
  }

  @Override
  public RollbackResult rollback(MigrationPlan plan) {
    step("rollback");
    return new RollbackResult(310, new Position(0x3000000, "0/3000000"), 1);
  }

  @Override
  public WindowOpening nextMaintenanceWindow(MigrationPlan plan, long afterMillis) {
    step("nextMaintenanceWindow");
    synchronized (windows) {
      while (!windows.isEmpty() && windows.get(0).endMillis() <= afterMillis) windows.remove(0);
      return windows.isEmpty() ? null : windows.get(0);
    }
  }

  @Override
  public List<String> longWriteTransactions(MigrationPlan plan) {
    step("longWriteTransactions");
    return longTransactions;
  }

  /** What the access check answers; admitted by default. Checks are counted apart from {@link #calls}. */
  public volatile dev.phaseshift.model.ClientAccess clientAccess = new dev.phaseshift.model.ClientAccess(
      List.of(), 0, List.of(), 0, java.time.Instant.EPOCH.toString());
  public final java.util.concurrent.atomic.AtomicInteger accessChecks = new java.util.concurrent.atomic.AtomicInteger();

  /** The plan the last access check was given (with the clients retired so far). */
  public volatile MigrationPlan lastAccessPlan;

  /** As the engine does: a client the plan retires is listed as retired and no longer blocks. */
  @Override
  public dev.phaseshift.model.ClientAccess checkClientAccess(MigrationPlan plan) {
    accessChecks.incrementAndGet();
    lastAccessPlan = plan;
    dev.phaseshift.model.ClientAccess access = clientAccess;
    List<dev.phaseshift.model.ClientAdmission> listed = new ArrayList<>();
    boolean allRetired = !access.clients().isEmpty();
    for (dev.phaseshift.model.ClientAdmission a : access.clients()) {
      var c = a.client();
      var retired = plan.retiredClientsOrNone().stream()
          .filter(r -> r.matches(c.user(), c.address(), c.applicationName())).findFirst();
      if (retired.isPresent()) {
        listed.add(new dev.phaseshift.model.ClientAdmission(c, true, true, "retired: " + retired.get().reason()));
      } else {
        listed.add(a);
        allRetired &= a.admitted();
      }
    }
    return new dev.phaseshift.model.ClientAccess(listed, access.clientsOmitted(),
        allRetired ? List.of() : access.blockers(), allRetired ? 0 : access.blockersOmitted(), access.checkedAt());
  }

  @Override
  public void pauseChangeStream(MigrationPlan plan) {
    step("pauseChangeStream");
  }

  @Override
  public void resumeChangeStream(MigrationPlan plan) {
    step("resumeChangeStream");
  }

  @Override
  public void dropTargetObjects(MigrationPlan plan) {
    step("dropTargetObjects");
  }

  @Override
  public void sendNotification(MigrationPlan plan, Notification notification) {
    notifications.add(notification);
  }

  /** The latest rehearsal the gate finds; a test scripts it. */
  public volatile dev.phaseshift.model.RehearsalRecord rehearsal;
  /** Workload samples taken (kept out of {@link #calls}, whose order the phase tests assert). */
  public final java.util.concurrent.atomic.AtomicInteger workloadSamples = new java.util.concurrent.atomic.AtomicInteger();

  @Override
  public dev.phaseshift.model.WorkloadReport assessWorkload(MigrationPlan plan, long selectedBytes) {
    workloadSamples.incrementAndGet();
    return new dev.phaseshift.model.WorkloadReport(1_000, "2026-01-01T00:00:00Z",
        List.of(new dev.phaseshift.model.TableWorkload("public.orders", 4, 40, 10, 2, 1, 3_000_000, 8_192)), 2, null,
        "statement statistics not available", 65_536, 6_000_000, 8_192, 50_000_000, List.of(), 0,
        new dev.phaseshift.model.DowntimeForecast(120, 10, 5_000, 30_000, "measured", false), List.of(),
        "any time", List.of());
  }

  @Override
  public dev.phaseshift.model.RehearsalRecord latestRehearsal(MigrationPlan plan) {
    return rehearsal;
  }
}
