package dev.phaseshift.model;

import com.fasterxml.jackson.annotation.JsonIgnore;

/**
 * One key range of a table whose rows differ between the sides: where to look, and how many rows
 * each side holds in it. The range is {@code from <= key < to}; a {@code null} bound is open.
 * A table compared as a whole (no usable key) has one such range with both bounds open.
 *
 * @param key the column the ranges are on, {@code null} when the table was compared whole
 */
public record ChunkDifference(String key, String from, String to, long sourceRows, long targetRows) {

  /** The range as a SQL condition, ready to paste into a query that looks closer. */
  @JsonIgnore
  public String range() {
    if (key == null || (from == null && to == null)) return "whole table";
    if (from == null) return key + " < " + to;
    if (to == null) return key + " >= " + from;
    return key + " >= " + from + " AND " + key + " < " + to;
  }
}
