package dev.phaseshift.model;

/**
 * What the webhook receives.
 *
 * @param event approval-needed, switchover, rollback, failed, completed, approval-deadline
 */
public record Notification(String event, String migration, String phase, String message, String at) {}
