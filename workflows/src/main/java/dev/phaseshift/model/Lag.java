package dev.phaseshift.model;

import java.time.Instant;

/**
 * How far the target trails the source.
 *
 * @param bytes      the distance between the two positions, in the engine's bytes of change data
 * @param source     the source's current position
 * @param applied    the position up to which the target has applied the changes
 * @param measuredAt when it was measured (ISO-8601), so a status read later says how old it is;
 *                   null in histories recorded before it was kept
 */
public record Lag(long bytes, Position source, Position applied, String measuredAt) {
  public Lag(long bytes, Position source, Position applied) {
    this(bytes, source, applied, null);
  }

  public Lag at(Instant when) {
    return new Lag(bytes, source, applied, when.toString());
  }
}
