package dev.phaseshift.plan;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.phaseshift.workflow.TestPlans;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The plan's assessment sample and rehearsal gate: their defaults and what the validator says about them. */
class ReadinessPlanFieldsTest {
  private static MigrationPlan with(ApprovalPolicy approval, Boolean approvalRequired, String sample) {
    MigrationPlan p = TestPlans.plan("fields", true);
    return new MigrationPlan(p.name(), p.source(), p.target(), p.tables(), p.copyParallelism(), p.cutover(),
        approvalRequired, p.retention(), p.requestedBy(), approval, null, null, null, null, null, null, null, null,
        null, null, null, null, sample == null ? null : new AssessmentPolicy(sample));
  }

  @Test
  void defaultsSampleAMinuteAndRequireNoRehearsal() {
    MigrationPlan plan = with(null, true, null).withDefaults();
    assertEquals("60s", plan.assessment().sample());
    assertFalse(plan.approval().rehearsalRequired());
    assertEquals("7d", plan.approval().rehearsal().maxAge());
    MigrationPlan gated = with(new ApprovalPolicy(null, null, null, null, null, new RehearsalRequirement(true, null)),
        true, "10s").withDefaults();
    assertTrue(gated.approval().rehearsalRequired());
    assertEquals("7d", gated.approval().rehearsal().maxAge());
    assertEquals("10s", gated.assessment().sample());
    assertEquals("10s", gated.asRehearsal().assessment().sample(), "a rehearsal of the plan samples the same");
  }

  @Test
  void theValidatorSaysWhatIsWrongAndHowToFixIt() {
    List<String> problems = PlanValidator.problems(with(
        new ApprovalPolicy(null, null, null, null, null, new RehearsalRequirement(true, "a week")), false, "2h"));
    assertTrue(problems.contains("assessment.sample: write a duration up to 60m, e.g. 60s (0s measures sizes only)"),
        problems.toString());
    assertTrue(problems.contains("approval.rehearsal.maxAge: not a duration; write how old the latest rehearsal may be,"
        + " e.g. 7d"), problems.toString());
    assertTrue(problems.stream().anyMatch(p -> p.startsWith("approval.rehearsal.required: gates the sign-off, but"
        + " approvalRequired is false")), problems.toString());
    assertEquals(List.of(), PlanValidator.problems(with(
        new ApprovalPolicy(null, null, null, null, null, new RehearsalRequirement(true, "3d")), true, "0s")));
  }
}
