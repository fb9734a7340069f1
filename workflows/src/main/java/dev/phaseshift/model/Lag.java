package dev.phaseshift.model;

/**
 * How far the target trails the source.
 *
 * @param bytes   the distance between the two positions, in the engine's bytes of change data
 * @param source  the source's current position
 * @param applied the position up to which the target has applied the changes
 */
public record Lag(long bytes, Position source, Position applied) {}
