package dev.phaseshift.model;

/** How much an assessment finding matters: a BLOCKER stops the migration before anything changes. */
public enum Severity {
  INFO,
  WARNING,
  BLOCKER
}
