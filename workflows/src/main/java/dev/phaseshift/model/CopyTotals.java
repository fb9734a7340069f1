package dev.phaseshift.model;

/**
 * The bulk copy summed over every table, so reports and status stay small however many tables
 * there are; the per-table list beside it may be a selection (see {@code listed}).
 *
 * @param listed     how many tables the accompanying per-table list holds
 * @param activities copy activities that finished (a batch of small tables counts once)
 */
public record CopyTotals(int tables, long rows, long bytes, int chunks, int resumedChunks, int listed,
    int activities) {}
