package dev.phaseshift.model;

import java.util.List;

/** A finished batch: one result per table, those an earlier attempt had copied included. */
public record BatchCopyResult(String label, List<TableCopyResult> tables, long millis) {}
