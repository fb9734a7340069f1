package dev.phaseshift.model;

/** When a phase started and how long it took, from workflow time. */
public record PhaseTiming(Phase phase, String startedAt, long millis) {}
