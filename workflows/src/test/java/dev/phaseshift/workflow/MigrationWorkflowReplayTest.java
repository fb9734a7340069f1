package dev.phaseshift.workflow;

import dev.phaseshift.model.Approval;
import dev.phaseshift.model.TableInfo;
import dev.phaseshift.plan.ApprovalPolicy;
import dev.phaseshift.plan.MigrationPlan;
import io.temporal.api.enums.v1.IndexedValueType;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowOptions;
import io.temporal.client.WorkflowStub;
import io.temporal.testing.TestWorkflowEnvironment;
import io.temporal.testing.WorkflowReplayer;
import io.temporal.worker.Worker;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Replays histories recorded from the workflow code. A change that would break running migrations
 * fails here; such a change must go through {@code Workflow.getVersion} (see the README's
 * Development section), and histories recorded from the new code join the ones below.
 *
 * <p>To record: {@code ./mvnw -B -pl workflows test -Dtest=MigrationWorkflowReplayTest
 * -Dphaseshift.recordHistories=true}. The files land in {@code src/test/resources/histories};
 * add them to the list and commit them, never overwrite one a released build ran.
 */
class MigrationWorkflowReplayTest {
  static final Path HISTORIES = Path.of("src/test/resources/histories");

  /** The baseline: every development-time gate folded in, nothing released before it. */
  @ParameterizedTest
  @ValueSource(strings = {"baseline-completed.json", "baseline-approved.json", "baseline-batched.json",
      "baseline-sliced.json"})
  void recordedHistoriesReplayOnTheCurrentCode(String history) throws Exception {
    WorkflowReplayer.replayWorkflowExecutionFromResource("histories/" + history, MigrationWorkflowImpl.class);
  }

  @Test
  @EnabledIfSystemProperty(named = "phaseshift.recordHistories", matches = "true")
  void recordHistories() throws Exception {
    // A plain run through every phase; one that waits for two approvals, one given as an update
    // and one as a signal; one of 150 small tables, copied in batches; and one with a sliced table.
    record("baseline-completed.json", TestPlans.routed("recorded-completed", null, null), false,
        ScriptedActivities.tables());
    record("baseline-approved.json", TestPlans.routed("recorded-approved",
        new ApprovalPolicy(List.of("bob", "carol"), 2, false, null, null), null), true, ScriptedActivities.tables());
    record("baseline-batched.json", TestPlans.routed("recorded-batched", null, null), false,
        ScriptedActivities.manySmallTables(150));
    // A table large enough to be copied in slices beside a small one.
    record("baseline-sliced.json", TestPlans.routed("recorded-sliced", null, null), false, List.of(
        new TableInfo("public", "huge", 6 * TableSlicing.SLICE_BYTES, 6_000_000, true, "default", false),
        new TableInfo("public", "small", 16_384, 10, true, "default", false)));
  }

  private static void record(String file, MigrationPlan plan, boolean approve, List<TableInfo> schema)
      throws Exception {
    try (TestWorkflowEnvironment env = TestWorkflowEnvironment.newInstance()) {
      for (String name : MigrationSearchAttributes.NAMES) {
        env.registerSearchAttribute(name, IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD);
      }
      ScriptedActivities activities = new ScriptedActivities();
      activities.schema = schema;
      Worker worker = env.newWorker("record");
      worker.registerWorkflowImplementationTypes(MigrationWorkflowImpl.class);
      worker.registerActivitiesImplementations(activities);
      env.newWorker(TaskQueues.snapshotReplicas("record")).registerActivitiesImplementations(activities);
      env.start();
      MigrationWorkflow workflow = env.getWorkflowClient().newWorkflowStub(MigrationWorkflow.class,
          WorkflowOptions.newBuilder().setTaskQueue("record").setWorkflowId(plan.workflowId()).build());
      WorkflowClient.start(workflow::run, plan);
      if (approve) {
        env.sleep(Duration.ofMinutes(5));
        workflow.approveUpdate(new Approval("bob", "recorded", null));
        workflow.approve(new Approval("carol", "recorded as a signal", null));
      }
      WorkflowStub.fromTyped(workflow).getResult(Object.class);
      Files.createDirectories(HISTORIES);
      Files.writeString(HISTORIES.resolve(file),
          env.getWorkflowClient().fetchHistory(plan.workflowId()).toJson(true));
    }
  }
}
