package dev.phaseshift.workflow;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.phaseshift.model.Decision;
import dev.phaseshift.model.FleetMember;
import dev.phaseshift.model.FleetMemberState;
import dev.phaseshift.model.FleetSkip;
import dev.phaseshift.model.FleetStatus;
import dev.phaseshift.model.OperatorRequest;
import dev.phaseshift.model.WaveApproval;
import dev.phaseshift.plan.FleetPlan;
import dev.phaseshift.plan.FleetWaves;
import io.temporal.api.common.v1.WorkflowExecution;
import io.temporal.api.enums.v1.EventType;
import io.temporal.api.history.v1.HistoryEvent;
import io.temporal.api.workflowservice.v1.GetWorkflowExecutionHistoryRequest;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowOptions;
import io.temporal.client.WorkflowStub;
import io.temporal.client.WorkflowUpdateException;
import io.temporal.testing.TestWorkflowEnvironment;
import io.temporal.worker.Worker;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The fleet's waves, stop policy, requests and history bound, with migrations that only move through phases. */
class FleetWorkflowTest {
  private static final String QUEUE = "fleet-test";
  private TestWorkflowEnvironment env;
  private WorkflowClient client;

  @BeforeEach
  void setUp() {
    env = TestEnvironments.withSearchAttributes();
    Worker worker = env.newWorker(QUEUE);
    worker.registerWorkflowImplementationTypes(FleetWorkflowImpl.class, FakeMigration.class);
    worker.registerActivitiesImplementations(new FleetActivitiesImpl(env.getWorkflowClient()));
    env.start();
    client = env.getWorkflowClient();
  }

  @AfterEach
  void tearDown() {
    env.close();
  }

  private FleetWorkflow start(FleetPlan plan) {
    FleetWorkflow fleet = client.newWorkflowStub(FleetWorkflow.class,
        WorkflowOptions.newBuilder().setTaskQueue(QUEUE).setWorkflowId(plan.workflowId()).build());
    WorkflowClient.start(fleet::run, plan, null);
    return client.newWorkflowStub(FleetWorkflow.class, plan.workflowId());
  }

  private FleetStatus until(FleetWorkflow fleet, Predicate<FleetStatus> condition) {
    for (int i = 0; i < 400; i++) {
      FleetStatus s = fleet.status();
      if (s != null && condition.test(s)) return s;
      env.sleep(Duration.ofSeconds(20));
    }
    throw new AssertionError("the fleet never got there: " + fleet.status());
  }

  @Test
  void aFailureStopsTheFleetAfterItsWaveAndSkippingItLetsTheFleetComplete() {
    List<String> names = List.of("canary", "a1", "bad-a2", "a3", "b1", "b2", "b3");
    FleetPlan plan = TestFleets.fleet("stops", names, new FleetWaves(1, 3, 2, "none", null), null);
    FleetWorkflow fleet = start(plan);

    FleetStatus held = until(fleet, s -> FleetStatus.HELD.equals(s.state()));
    assertEquals(1, held.currentWave(), "it stops after the failing wave");
    assertEquals(3, held.waves());
    assertEquals(FleetMemberState.FAILED, member(held, "bad-a2").state());
    assertEquals("planted failure", member(held, "bad-a2").error());
    assertEquals(List.of(FleetMemberState.SUCCEEDED, FleetMemberState.SUCCEEDED, FleetMemberState.FAILED,
        FleetMemberState.SUCCEEDED, FleetMemberState.PENDING, FleetMemberState.PENDING, FleetMemberState.PENDING),
        held.members().stream().map(FleetMember::state).toList(), "the next wave waits for an operator");
    assertTrue(held.waitingFor().contains("phaseshift fleet resume|skip|abort stops"), held.waitingFor());
    // What the Web UI shows as the current details, read as it reads them.
    String details = WorkflowStub.fromTyped(fleet).query("__temporal_workflow_metadata",
        io.temporal.api.sdk.v1.WorkflowMetadata.class).getCurrentDetails();
    assertTrue(details.contains("| bad-a2 | 1 | FAILED | FAILED |"), details);
    assertTrue(details.contains("| b3 | 2 | PENDING | - |"), details);
    assertTrue(details.contains("- wave 1: succeeded 2 failed 1"), details);
    env.sleep(Duration.ofMinutes(10));
    assertEquals(FleetMemberState.PENDING, member(fleet.status(), "b1").state(), "still waiting");

    WorkflowUpdateException refused = assertThrows(WorkflowUpdateException.class,
        () -> fleet.skipUpdate(new FleetSkip("a1", "bob", "")));
    assertTrue(refused.getCause().getMessage().contains("a1 is already succeeded"), refused.getCause().getMessage());
    Decision skipped = fleet.skipUpdate(new FleetSkip("bad-a2", "bob", "restore it by hand"));
    assertTrue(skipped.accepted());

    FleetStatus done = WorkflowStub.fromTyped(fleet).getResult(FleetStatus.class);
    assertEquals(FleetStatus.COMPLETED, done.state());
    assertEquals(6, done.count(FleetMemberState.SUCCEEDED));
    assertEquals(FleetMemberState.SKIPPED, member(done, "bad-a2").state());
    assertTrue(member(done, "bad-a2").error().startsWith("skipped by bob after: planted failure"));
    assertEquals(42L, member(done, "b3").freezeMillis(), "the switchover's freeze as the migration reported it");
    assertTrue(done.decisions().stream().anyMatch(d -> d.action().equals("stop") && d.by().equals("workflow")));
    for (String name : names) {
      var description = client.newUntypedWorkflowStub("migration-" + name).describe();
      assertEquals("stops", description.getTypedSearchAttributes().get(MigrationSearchAttributes.FLEET),
          "the Web UI lists the fleet's migrations by PhaseshiftFleet");
    }
  }

  @Test
  void aFailureRateAtOrBelowThePlansDoesNotStopTheFleet() {
    List<String> names = List.of("c", "x1", "x2", "x3", "bad-x4", "y1");
    FleetStatus done = WorkflowStub.fromTyped(start(TestFleets.fleet("tolerant", names,
        new FleetWaves(1, 4, 4, "none", null), 0.25))).getResult(FleetStatus.class);
    assertEquals(FleetStatus.COMPLETED, done.state());
    assertEquals(FleetMemberState.FAILED, member(done, "bad-x4").state());
    assertEquals(FleetMemberState.SUCCEEDED, member(done, "y1").state());
  }

  @Test
  void waveSignOffIsPassedToEachMigrationOfTheWaveAndPauseHoldsTheNextWave() {
    List<String> names = List.of("w0", "w1", "w2");
    FleetWorkflow fleet = start(TestFleets.fleet("signed", names, new FleetWaves(1, 2, 2, "wave", null), null));
    FleetStatus waiting = until(fleet, s -> "approval".equals(member(s, "w0").waitingFor()));
    assertTrue(waiting.waitingFor().contains("phaseshift fleet approve signed --wave 0"), waiting.waitingFor());

    assertThrows(WorkflowUpdateException.class, () -> fleet.approveWaveUpdate(new WaveApproval(7, "carol", "")));
    assertTrue(fleet.approveWaveUpdate(new WaveApproval(0, "carol", "canary looks fine")).accepted());
    assertTrue(fleet.pauseUpdate(new OperatorRequest("carol", "wait for Monday")).accepted());
    FleetStatus paused = until(fleet, s -> member(s, "w0").state() == FleetMemberState.SUCCEEDED);
    env.sleep(Duration.ofMinutes(5));
    paused = fleet.status();
    assertEquals(FleetStatus.PAUSED, paused.state());
    assertEquals(FleetMemberState.PENDING, member(paused, "w1").state(), "a paused fleet starts nothing");

    assertTrue(fleet.resumeUpdate(new OperatorRequest("carol", "")).accepted());
    until(fleet, s -> "approval".equals(member(s, "w2").waitingFor()) && "approval".equals(member(s, "w1").waitingFor()));
    fleet.approveWave(new WaveApproval(1, "dave", null));
    FleetStatus done = WorkflowStub.fromTyped(fleet).getResult(FleetStatus.class);
    assertEquals(3, done.count(FleetMemberState.SUCCEEDED));
    assertTrue(done.members().stream().allMatch(FleetMember::approvalSent));
  }

  @Test
  void abortStartsNoMoreMigrationsAndRefusedRequestsAreRecorded() {
    FleetWorkflow fleet = start(TestFleets.fleet("aborted", TestFleets.names("db", 6),
        new FleetWaves(1, 5, 5, "database", null), null));
    assertThrows(WorkflowUpdateException.class, () -> fleet.approveWaveUpdate(new WaveApproval(0, "carol", "")));
    assertTrue(fleet.abortUpdate(new OperatorRequest("erin", "freeze period")).accepted());
    FleetStatus done = WorkflowStub.fromTyped(fleet).getResult(FleetStatus.class);
    assertEquals(FleetStatus.ABORTED, done.state());
    assertEquals(5, done.count(FleetMemberState.NOT_STARTED));
    assertEquals(FleetMemberState.SUCCEEDED, member(done, "db0").state(), "the running canary went on to its end");
    assertFalse(done.decisions().get(0).accepted());
    assertTrue(done.decisions().get(0).reason().contains("phaseshift approve NAME"), done.decisions().get(0).reason());
  }

  @Test
  void aLargeFleetContinuesAsNewAndEveryRunsHistoryStaysUnderTheBound() {
    int databases = 400;
    FleetPlan plan = TestFleets.fleet("large", TestFleets.names("db", databases),
        new FleetWaves(1, 133, 60, "none", null), null);
    FleetStatus done = WorkflowStub.fromTyped(start(plan)).getResult(FleetStatus.class);
    assertEquals(databases, done.count(FleetMemberState.SUCCEEDED));
    assertTrue(done.runs() >= 1, "the fleet continued as new: " + done.runs());

    List<Integer> lengths = runLengths(plan.workflowId());
    System.out.println("fleet history lengths per run: " + lengths);
    assertEquals(done.runs() + 1, lengths.size());
    // One start, a few events per reading: a run ends at the limit plus at most one round of starts.
    int bound = FleetWorkflowImpl.HISTORY_LIMIT + 500;
    assertTrue(lengths.stream().allMatch(n -> n <= bound), "history lengths per run " + lengths + " above " + bound);
  }

  private List<Integer> runLengths(String workflowId) {
    List<Integer> lengths = new ArrayList<>();
    String runId = firstRunId(workflowId);
    while (runId != null) {
      List<HistoryEvent> events = client.fetchHistory(workflowId, runId).getEvents();
      lengths.add(events.size());
      HistoryEvent last = events.get(events.size() - 1);
      runId = last.getEventType() == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW
          ? last.getWorkflowExecutionContinuedAsNewEventAttributes().getNewExecutionRunId() : null;
    }
    return lengths;
  }

  private String firstRunId(String workflowId) {
    // The latest run's first event names the run it continued from; walk back to the first.
    String runId = client.newUntypedWorkflowStub(workflowId).describe().getExecution().getRunId();
    while (true) {
      var first = env.getWorkflowServiceStubs().blockingStub().getWorkflowExecutionHistory(
          GetWorkflowExecutionHistoryRequest.newBuilder().setNamespace(env.getNamespace())
              .setExecution(WorkflowExecution.newBuilder().setWorkflowId(workflowId).setRunId(runId)).build())
          .getHistory().getEvents(0).getWorkflowExecutionStartedEventAttributes();
      if (first.getContinuedExecutionRunId().isEmpty()) return runId;
      runId = first.getContinuedExecutionRunId();
    }
  }

  private static FleetMember member(FleetStatus s, String name) {
    FleetMember m = s.members().stream().filter(x -> x.name().equals(name)).findFirst().orElse(null);
    assertNotNull(m, name);
    return m;
  }
}
