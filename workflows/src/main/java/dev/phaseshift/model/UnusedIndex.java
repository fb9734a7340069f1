package dev.phaseshift.model;

/**
 * An index the source never scanned since its statistics were reset, built on the new primary anyway.
 *
 * @param unusedSince when the source's statistics were last reset (or the server started counting)
 */
public record UnusedIndex(String index, String table, long bytesOnTarget, String unusedSince) {}
