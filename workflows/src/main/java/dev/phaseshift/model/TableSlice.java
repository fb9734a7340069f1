package dev.phaseshift.model;

/**
 * One share of a large table's copy, so that every worker on the queue can take chunks of the same
 * table: slice {@code slice} of {@code slices} copies the table's chunks whose number leaves that
 * remainder when divided by {@code slices}. Chunks are cut by the engine under the snapshot, so
 * the workflow needs no size beyond what the assessment gave.
 */
public record TableSlice(TableInfo table, int slice, int slices) {
  public TableSlice {
    if (slices < 1 || slice < 0 || slice >= slices) {
      throw new IllegalArgumentException("slice " + slice + " of " + slices + " does not exist");
    }
  }

  /** Whether chunk {@code chunk} of the table is this slice's to copy. */
  public boolean owns(int chunk) {
    return chunk % slices == slice;
  }

  public String label() {
    return table.qualifiedName() + " (slice " + (slice + 1) + "/" + slices + ")";
  }
}
