package dev.phaseshift.model;

/**
 * A copied table's transaction-id age on the new primary: every row the copy wrote needs freezing
 * once, and an anti-wraparound vacuum does it when the age reaches autovacuum_freeze_max_age.
 *
 * @param ageAfter the age after OPTIMIZE's freeze; equal to {@code ageBefore} when the plan does not freeze
 */
public record TableFreeze(String table, long bytes, long ageBefore, long ageAfter) {}
