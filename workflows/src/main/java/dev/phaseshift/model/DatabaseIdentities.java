package dev.phaseshift.model;

/** Source and target of a migration as their servers identify them; source is null for a rehearsal's claim. */
public record DatabaseIdentities(DatabaseIdentity source, DatabaseIdentity target) {}
