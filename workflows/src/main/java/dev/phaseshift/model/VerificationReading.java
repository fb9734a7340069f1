package dev.phaseshift.model;

/** One reading of both sides during the verification window: the new primary and the old database. */
public record VerificationReading(DatabaseCounters target, DatabaseCounters source) {}
