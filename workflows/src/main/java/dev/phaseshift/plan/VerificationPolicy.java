package dev.phaseshift.plan;

import com.fasterxml.jackson.annotation.JsonIgnore;
import java.time.Duration;

/**
 * The verification window after the switchover: how long VERIFY watches the new primary against a
 * baseline taken from the source before the switch, what counts as a failed sample, and what a
 * failed window does. Modelled on an Argo Rollouts analysis: each sample is a measurement, the
 * window fails after more than {@code failureLimit} failed samples or {@code consecutiveFailureLimit}
 * failed samples in a row. Fields left out take {@link PlanDefaults}.
 *
 * @param window                    how long to watch (default {@value PlanDefaults#VERIFICATION_WINDOW});
 *                                  {@code 0s} switches the window off. Never longer than the retention
 *                                  window: once the old database is gone, nothing can roll back
 * @param sampleInterval            time between samples (default {@value PlanDefaults#VERIFICATION_SAMPLE_INTERVAL})
 * @param onFailure                 {@code rollback}: the lossless rollback through the reverse stream runs
 *                                  by itself; {@code notify}: the webhook and the status say so, writes stay
 *                                  on the target (default rollback with reverse replication, else notify)
 * @param failureLimit              failed samples tolerated before the window fails
 * @param consecutiveFailureLimit   failed samples in a row that fail the window
 * @param maxRollbackRateIncrease   how much the share of transactions rolled back on the new primary may
 *                                  exceed the source's (0.05: five percentage points)
 * @param maxDeadlockRateIncrease   deadlocks per minute above the source's rate
 * @param maxFailedSessionRateIncrease sessions ended by errors (FATAL or abandoned, PostgreSQL 14+) per
 *                                  minute above the source's rate
 * @param maxLatencyRatio           mean time of a top statement on the new primary over its mean on the source
 * @param minCalls                  calls a statement needs in a sample before its latency is judged
 * @param maxReverseLagBytes        reverse-stream lag above which a sample fails (the rollback would wait for it)
 * @param staleClients              {@code fail} or {@code warn}: clients still connected to, or writing to,
 *                                  the old database (stale connection strings)
 */
public record VerificationPolicy(
    String window,
    String sampleInterval,
    String onFailure,
    Integer failureLimit,
    Integer consecutiveFailureLimit,
    Double maxRollbackRateIncrease,
    Double maxDeadlockRateIncrease,
    Double maxFailedSessionRateIncrease,
    Double maxLatencyRatio,
    Integer minCalls,
    Long maxReverseLagBytes,
    String staleClients) {

  public static final String ROLLBACK = "rollback";
  public static final String NOTIFY = "notify";
  public static final String FAIL = "fail";
  public static final String WARN = "warn";

  /** A plan that watches nothing after the switchover. */
  public static VerificationPolicy off() {
    return new VerificationPolicy("0s", null, null, null, null, null, null, null, null, null, null, null);
  }

  /** Every field filled: the plan's value, else the default. */
  VerificationPolicy withDefaults(boolean reverseReplication) {
    return new VerificationPolicy(
        window == null ? PlanDefaults.VERIFICATION_WINDOW : window,
        sampleInterval == null ? PlanDefaults.VERIFICATION_SAMPLE_INTERVAL : sampleInterval,
        onFailure == null ? (reverseReplication ? ROLLBACK : NOTIFY) : onFailure,
        failureLimit == null ? PlanDefaults.VERIFICATION_FAILURE_LIMIT : failureLimit,
        consecutiveFailureLimit == null ? PlanDefaults.VERIFICATION_CONSECUTIVE_FAILURES : consecutiveFailureLimit,
        maxRollbackRateIncrease == null ? PlanDefaults.MAX_ROLLBACK_RATE_INCREASE : maxRollbackRateIncrease,
        maxDeadlockRateIncrease == null ? PlanDefaults.MAX_DEADLOCK_RATE_INCREASE : maxDeadlockRateIncrease,
        maxFailedSessionRateIncrease == null ? PlanDefaults.MAX_FAILED_SESSION_RATE_INCREASE
            : maxFailedSessionRateIncrease,
        maxLatencyRatio == null ? PlanDefaults.MAX_LATENCY_RATIO : maxLatencyRatio,
        minCalls == null ? PlanDefaults.VERIFICATION_MIN_CALLS : minCalls,
        maxReverseLagBytes == null ? PlanDefaults.MAX_REVERSE_LAG_BYTES : maxReverseLagBytes,
        staleClients == null ? PlanDefaults.STALE_CLIENTS : staleClients);
  }

  /** The window's length, or zero when it is off. */
  @JsonIgnore
  public Duration windowDuration() {
    return DurationText.parse(window == null ? PlanDefaults.VERIFICATION_WINDOW : window);
  }

  @JsonIgnore
  public Duration sampleDuration() {
    return DurationText.parse(sampleInterval == null ? PlanDefaults.VERIFICATION_SAMPLE_INTERVAL : sampleInterval);
  }

  @JsonIgnore
  public boolean rollsBack() {
    return ROLLBACK.equals(onFailure);
  }

  @JsonIgnore
  public boolean staleClientsFail() {
    return FAIL.equals(staleClients);
  }
}
