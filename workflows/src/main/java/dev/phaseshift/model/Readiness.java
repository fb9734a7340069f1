package dev.phaseshift.model;

/**
 * The assessment an approver reads before anything moves: the catalog and its findings, and the
 * workload report. The result of {@code phaseshift assess}; a migration keeps both in its report.
 */
public record Readiness(String name, Assessment assessment, WorkloadReport workload) {}
