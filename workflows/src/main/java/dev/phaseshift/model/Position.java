package dev.phaseshift.model;

/**
 * A position in a change stream, as the engine reports it. The workflow compares offsets and
 * shows labels; only the engine knows what either means.
 *
 * @param offset comparable within one stream: a later position has a larger offset
 * @param label  the engine's display form of the position
 */
public record Position(long offset, String label) {

  /** Whether this position is at or past {@code other}; false when either is unknown. */
  public static boolean reached(Position position, Position other) {
    return position != null && other != null && position.offset() >= other.offset();
  }
}
