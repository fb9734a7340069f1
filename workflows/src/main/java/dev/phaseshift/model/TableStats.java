package dev.phaseshift.model;

/** A target table after ANALYZE. */
public record TableStats(String table, long rows, long bytes) {}
