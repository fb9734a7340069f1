package dev.phaseshift.model;

/**
 * One observation of the assessment.
 *
 * @param code    stable identifier, e.g. {@code wal_level}, {@code no_replica_identity}
 * @param subject what it is about (a table, a setting, the server)
 * @param message what is wrong and how to fix it
 */
public record Finding(Severity severity, String code, String subject, String message) {}
