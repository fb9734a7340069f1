package dev.phaseshift.model;

import java.util.List;

/**
 * The switchover and rollback procedure of one migration with its plan's values, published when
 * the run waits for sign-off, and the final report's record of what happened at each step.
 *
 * @param publishedAt when the run published it (ISO-8601)
 * @param steps       the switchover's steps, planned and (as the run goes on) actual
 * @param rollback    the rollback procedure, in order
 * @param rollbackUntil until when a rollback loses nothing (the retention window), in words
 */
public record Runbook(String publishedAt, List<RunbookStep> steps, List<String> rollback, String rollbackUntil) {}
