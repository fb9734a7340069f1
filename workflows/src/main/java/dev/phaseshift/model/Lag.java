package dev.phaseshift.model;

/** How far the target trails the source, in WAL bytes. */
public record Lag(long bytes, String sourceLsn, String confirmedLsn) {}
