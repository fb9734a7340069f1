package dev.phaseshift.model;

/** The maintenance window a switchover may use: now or the next one, in epoch milliseconds. */
public record WindowOpening(long startMillis, long endMillis) {}
