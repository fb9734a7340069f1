package dev.phaseshift.model;

/** A sequence's last value on both sides. Before switchover the target's is expected to trail. */
public record SequenceValue(String name, Long source, Long target) {}
