package dev.phaseshift.model;

/** Who asks the migration to do something (abort, pause, resume, rollback, ...), and why. */
public record OperatorRequest(String by, String comment) {}
