package dev.phaseshift.plan;

import java.util.List;

/** What is wrong with a plan's {@code verification} section, each with how to fix it. */
final class VerificationChecks {
  private VerificationChecks() {}

  static void check(VerificationPolicy v, boolean reverseReplication, List<String> problems) {
    if (v == null) return;
    if (v.window() != null && !DurationText.isValid(v.window())) {
      problems.add("verification.window: not a duration; write e.g. 15m, or 0s to switch the window off");
    }
    if (v.sampleInterval() != null
        && (!DurationText.isValid(v.sampleInterval()) || DurationText.parse(v.sampleInterval()).toMillis() < 1000)) {
      problems.add("verification.sampleInterval: must be a duration of 1s or more, e.g. 30s");
    }
    if (v.onFailure() != null && !List.of(VerificationPolicy.ROLLBACK, VerificationPolicy.NOTIFY).contains(v.onFailure())) {
      problems.add("verification.onFailure: must be rollback or notify");
    }
    if (VerificationPolicy.ROLLBACK.equals(v.onFailure()) && !reverseReplication) {
      problems.add("verification.onFailure: rollback needs reverseReplication: true (without the reverse stream a"
          + " rollback would lose the new primary's writes); enable it or write onFailure: notify");
    }
    if (v.staleClients() != null && !List.of(VerificationPolicy.FAIL, VerificationPolicy.WARN).contains(v.staleClients())) {
      problems.add("verification.staleClients: must be fail or warn");
    }
    nonNegative("verification.failureLimit", v.failureLimit(), problems);
    if (v.consecutiveFailureLimit() != null && v.consecutiveFailureLimit() < 1) {
      problems.add("verification.consecutiveFailureLimit: must be 1 or more (1: the first failed sample fails the window)");
    }
    nonNegative("verification.maxRollbackRateIncrease", v.maxRollbackRateIncrease(), problems);
    nonNegative("verification.maxDeadlockRateIncrease", v.maxDeadlockRateIncrease(), problems);
    nonNegative("verification.maxFailedSessionRateIncrease", v.maxFailedSessionRateIncrease(), problems);
    if (v.maxLatencyRatio() != null && v.maxLatencyRatio() < 1) {
      problems.add("verification.maxLatencyRatio: must be 1.0 or more, e.g. 2.0 (twice the source's mean time)");
    }
    nonNegative("verification.minCalls", v.minCalls(), problems);
    nonNegative("verification.maxReverseLagBytes", v.maxReverseLagBytes(), problems);
  }

  private static void nonNegative(String field, Number value, List<String> problems) {
    if (value != null && value.doubleValue() < 0) problems.add(field + ": must be 0 or more");
  }
}
