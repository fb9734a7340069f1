package dev.phaseshift.engine.postgres;

/** Placeholder until implemented. */
public final class SnapshotHolder {
}
