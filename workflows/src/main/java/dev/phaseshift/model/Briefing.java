package dev.phaseshift.model;

/**
 * What the run put before its approvers: the workload report of PREPARE and the runbook published
 * at the sign-off wait (with what actually happened at each step). Either is null when the run
 * did not get that far.
 */
public record Briefing(WorkloadReport workload, Runbook runbook) {}
