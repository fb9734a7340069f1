package dev.phaseshift.workflow;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.phaseshift.model.StatementLatency;
import dev.phaseshift.model.StatementTime;
import dev.phaseshift.model.VerificationBaseline;
import dev.phaseshift.model.VerificationSample;
import dev.phaseshift.plan.VerificationPolicy;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Each condition of the verification window against a sample, with the plan's thresholds. */
class VerificationJudgeTest {
  static final VerificationBaseline BASELINE = new VerificationBaseline(60, 6000, 0.01, 0.0, 0.0, 10,
      List.of(new StatementTime("SELECT 1", 100, 10)));

  static VerificationPolicy policy(String staleClients) {
    return TestPlans.plan("judge", false).withVerification(new VerificationPolicy(null, null, null, null, null, null,
        null, null, null, null, null, staleClients)).withDefaults().verification();
  }

  static VerificationSample sample(double rollbackShare, double deadlocks, List<StatementLatency> statements,
      Boolean reverseActive, int staleCount, int oldWriters, long oldRollbacks) {
    return new VerificationSample(null, 30, 3000, rollbackShare, deadlocks, 0.0, 10, statements, reverseActive, 0L,
        staleCount == 0 ? List.of() : List.of("shop-api as app from 10.0.0.7, idle"), staleCount, oldWriters, oldRollbacks);
  }

  @Test
  void aHealthySampleBreaksNothing() {
    VerificationSample healthy = sample(0.02, 0, List.of(new StatementLatency("SELECT 1", 0.1, 0.15, 500)), true, 0, 0, 0);
    assertEquals(List.of(), VerificationJudge.failures(policy(null), BASELINE, healthy));
  }

  @Test
  void eachConditionFailsWithWhatWasMeasured() {
    VerificationPolicy p = policy("fail");
    assertTrue(VerificationJudge.failures(p, BASELINE, sample(0.08, 0, List.of(), true, 0, 0, 0)).get(0)
        .startsWith("rollbacks: 8.0% of transactions on the new primary, 1.0% on the source"));
    assertTrue(VerificationJudge.failures(p, BASELINE, sample(0, 3, List.of(), true, 0, 0, 0)).get(0)
        .startsWith("deadlocks: 3.0/min"));
    assertTrue(VerificationJudge.failures(p, BASELINE, sample(0, 0, List.of(), false, 0, 0, 0)).get(0)
        .startsWith("reverse stream: not running"));
    assertTrue(VerificationJudge.failures(p, BASELINE, sample(0, 0, List.of(), true, 2, 0, 0)).get(0)
        .startsWith("stale clients: 2 session(s) still on the old database (shop-api"));
    assertTrue(VerificationJudge.failures(p, BASELINE, sample(0, 0, List.of(), true, 0, 5, 0)).get(0)
        .startsWith("stale clients: 5 session(s) writing to the old database"));
    assertTrue(VerificationJudge.failures(p, BASELINE, sample(0, 0, List.of(), true, 0, 0, 4)).get(0)
        .startsWith("stale clients: 4 transaction(s) rolled back on the old database"));
  }

  @Test
  void aSlowStatementFailsOnlyWithEnoughCalls() {
    VerificationPolicy p = policy(null);
    List<StatementLatency> slowButRare = List.of(new StatementLatency("SELECT 1", 1.0, 5.0, 19));
    assertEquals(List.of(), VerificationJudge.failures(p, BASELINE, sample(0, 0, slowButRare, true, 0, 0, 0)));
    List<StatementLatency> slow = List.of(new StatementLatency("SELECT 1", 1.0, 5.0, 20));
    assertEquals(List.of("latency: SELECT 1 takes 5.000 ms on the new primary, 1.000 ms on the source (5.0x, allowed"
        + " 2.0x, 20 calls)"), VerificationJudge.failures(p, BASELINE, sample(0, 0, slow, true, 0, 0, 0)));
    List<StatementLatency> coldCache = List.of(new StatementLatency("SELECT 1", 0.1, 0.5, 500));
    assertEquals(List.of(), VerificationJudge.failures(p, BASELINE, sample(0, 0, coldCache, true, 0, 0, 0)),
        "5x slower but by less than a millisecond");
  }

  @Test
  void staleClientsWarnByDefaultAndFailWhenThePlanSaysSo() {
    VerificationSample stale = sample(0, 0, List.of(), true, 1, 0, 3);
    assertEquals(List.of(), VerificationJudge.failures(policy(null), BASELINE, stale));
    assertEquals(2, VerificationJudge.warnings(policy(null), stale).size());
    assertEquals(2, VerificationJudge.failures(policy("fail"), BASELINE, stale).size());
    assertEquals(List.of(), VerificationJudge.warnings(policy("fail"), stale));
  }
}
