package dev.phaseshift.workflow;

import dev.phaseshift.model.Approval;
import dev.phaseshift.plan.MigrationPlan;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowOptions;
import io.temporal.client.WorkflowStub;
import io.temporal.testing.TestWorkflowEnvironment;
import io.temporal.testing.WorkflowReplayer;
import io.temporal.worker.Worker;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
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
  @ValueSource(strings = {"migration-completed-v1.json", "migration-approved-v1.json"})
  void recordedHistoriesReplayOnTheCurrentCode(String history) throws Exception {
    WorkflowReplayer.replayWorkflowExecutionFromResource("histories/" + history, MigrationWorkflowImpl.class);
  }

  @Test
  @EnabledIfSystemProperty(named = "phaseshift.recordHistories", matches = "true")
  void recordHistories() throws Exception {
    record("migration-completed-v1.json", TestPlans.plan("recorded-completed", false), false);
    record("migration-approved-v1.json", TestPlans.plan("recorded-approved", true), true);
  }

  private static void record(String file, MigrationPlan plan, boolean approve) throws Exception {
    try (TestWorkflowEnvironment env = TestWorkflowEnvironment.newInstance()) {
      ScriptedActivities activities = new ScriptedActivities();
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
