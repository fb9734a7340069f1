package dev.phaseshift.model;

/** Where one database is in its fleet. */
public enum FleetMemberState {
  /** Its wave has not started it yet. */
  PENDING,
  /** Its migration runs (it may wait for a sign-off or a maintenance window). */
  RUNNING,
  /** Its migration completed. */
  SUCCEEDED,
  /** Its migration failed, was aborted or rolled back, or could not start. */
  FAILED,
  /** An operator took it out of the fleet. */
  SKIPPED,
  /** The fleet was aborted before its wave started it. */
  NOT_STARTED
}
