package dev.phaseshift.model;

/** Row count and content checksum of one table on both sides, read at the same point. */
public record TableValidation(
    String table,
    long sourceRows,
    long targetRows,
    String sourceChecksum,
    String targetChecksum,
    boolean match) {}
