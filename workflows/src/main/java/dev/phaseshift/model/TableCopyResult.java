package dev.phaseshift.model;

/** One table's finished bulk copy. {@code resumedChunks} counts chunks an earlier attempt had already copied. */
public record TableCopyResult(
    String table, long rows, long bytes, long millis, int chunks, int resumedChunks) {}
