package dev.phaseshift.model;

import java.util.List;

/** The VERIFY phase: the target takes writes and the source takes none. */
public record VerifyResult(
    boolean targetWritable, long sourceWritesAfterSwitch, List<SequenceValue> sequences, boolean passed) {}
