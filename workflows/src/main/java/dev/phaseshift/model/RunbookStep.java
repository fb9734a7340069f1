package dev.phaseshift.model;

/**
 * One step of the switchover's runbook: what the plan says will happen, and, once the run got
 * there, what did.
 *
 * @param actual what happened (times, freeze, who approved); null until the run reaches the step
 */
public record RunbookStep(String step, String planned, String actual) {
  public RunbookStep withActual(String happened) {
    return new RunbookStep(step, planned, happened);
  }
}
