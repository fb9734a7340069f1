package dev.phaseshift.model;

/**
 * One entry of the audit trail: a person's or the workflow's decision, accepted or refused.
 *
 * @param action   approve, reject, abort, rollback, pause, resume, extend-retention,
 *                 connection-switched, or withdraw (an approval the workflow withdrew)
 * @param by       who sent it ({@code workflow} for the workflow's own decisions)
 * @param at       when the workflow received it, ISO-8601
 * @param accepted whether it took effect
 * @param reason   why it was refused or what it did
 */
public record Decision(String action, String by, String at, String comment, boolean accepted, String reason) {}
