package dev.phaseshift.plan;

import java.util.List;

/**
 * How a fleet's databases are grouped into waves: the first {@code canary} databases form wave 0,
 * the rest waves of {@code size}, in the order the plan lists them.
 *
 * @param canary      databases in the canary wave (default {@value FleetDefaults#CANARY}; 0: no canary)
 * @param size        databases per later wave (default {@value FleetDefaults#WAVE_SIZE})
 * @param concurrency migrations running at once within a wave (default {@value FleetDefaults#CONCURRENCY})
 * @param signOff     {@code database}: each migration waits for its own approval as its plan says
 *                    (default); {@code wave}: one {@code approve-wave} signs off every switchover of a
 *                    wave; {@code none}: no migration waits for a sign-off
 * @param windows     maintenance windows per wave; a wave's switchovers happen only inside them
 */
public record FleetWaves(Integer canary, Integer size, Integer concurrency, String signOff, List<WaveWindows> windows) {
  public static final String SIGN_OFF_DATABASE = "database";
  public static final String SIGN_OFF_WAVE = "wave";
  public static final String SIGN_OFF_NONE = "none";
  public static final List<String> SIGN_OFFS = List.of(SIGN_OFF_DATABASE, SIGN_OFF_WAVE, SIGN_OFF_NONE);
}
