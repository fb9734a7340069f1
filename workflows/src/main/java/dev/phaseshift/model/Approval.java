package dev.phaseshift.model;

/**
 * A sign-off for the switchover.
 *
 * @param approver who approves
 * @param comment  why, or under which conditions
 * @param at       when the workflow received it (set by the workflow, ISO-8601)
 */
public record Approval(String approver, String comment, String at) {}
