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
 * Replays histories recorded from earlier versions of the workflow. A change that would break
 * running migrations fails here; such a change must go through {@code Workflow.getVersion}.
 * Record new histories with {@code -Dphaseshift.recordHistories=true} when a version is added.
 */
class MigrationWorkflowReplayTest {
  static final Path HISTORIES = Path.of("src/test/resources/histories");

  @ParameterizedTest
  @ValueSource(strings = {"migration-completed-v1.json", "migration-approved-v1.json",
      "migration-completed-v2.json", "migration-approved-v2.json", "migration-batched-v3.json"})
  void recordedHistoriesReplayOnTheCurrentCode(String history) throws Exception {
    WorkflowReplayer.replayWorkflowExecutionFromResource("histories/" + history, MigrationWorkflowImpl.class);
  }

  @Test
  @EnabledIfSystemProperty(named = "phaseshift.recordHistories", matches = "true")
  void recordHistories() throws Exception {
    // v1: before the safety net; v2: safety net and operator surfaces, copies on the holder's queue
    // (recorded before shared copies); v3: shared and batched copies, 150 small tables in batches.
    record("migration-batched-v3.json", TestPlans.routed("recorded-batched", null, null), false,
        ScriptedActivities.manySmallTables(150));
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
      env.newWorker(ScriptedActivities.COPY_QUEUE).registerActivitiesImplementations(activities);
      env.start();
      MigrationWorkflow workflow = env.getWorkflowClient().newWorkflowStub(MigrationWorkflow.class,
          WorkflowOptions.newBuilder().setTaskQueue("record").setWorkflowId(plan.workflowId()).build());
      WorkflowClient.start(workflow::run, plan);
      if (approve) {
        env.sleep(Duration.ofMinutes(5));
        workflow.approve(new Approval("bob", "recorded", null));
      }
      WorkflowStub.fromTyped(workflow).getResult(Object.class);
      Files.createDirectories(HISTORIES);
      Files.writeString(HISTORIES.resolve(file),
          env.getWorkflowClient().fetchHistory(plan.workflowId()).toJson(true));
    }
  }
}
