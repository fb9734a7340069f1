package dev.phaseshift.model;

/** The phases of a migration, in the order they run, and its terminal states. */
public enum Phase {
  PREPARE,
  MIGRATE,
  TEST,
  SWITCHOVER,
  VERIFY,
  RECOVERY,
  OPTIMIZE,
  COMPLETED,
  FAILED,
  ABORTED,
  ROLLED_BACK
}
