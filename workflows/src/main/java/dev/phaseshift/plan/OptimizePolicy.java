package dev.phaseshift.plan;

import com.fasterxml.jackson.annotation.JsonIgnore;

/**
 * What OPTIMIZE may do on the new primary beyond ANALYZE, which it always runs.
 *
 * @param freeze whether to run {@code VACUUM (FREEZE)} on the copied tables (default false): a copy
 *               gives every row a young transaction id, so without it an anti-wraparound vacuum of
 *               all of them comes due at once, later, at a time nobody chose
 */
public record OptimizePolicy(Boolean freeze) {
  @JsonIgnore
  public boolean freezes() {
    return Boolean.TRUE.equals(freeze);
  }
}
