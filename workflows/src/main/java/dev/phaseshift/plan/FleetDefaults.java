package dev.phaseshift.plan;

/** Every default of a fleet plan, in one place. */
public final class FleetDefaults {
  public static final int CANARY = 1;
  public static final int WAVE_SIZE = 10;
  public static final int CONCURRENCY = 5;
  public static final String STATUS_EVERY = "15s";
  /** More databases than this would make the fleet's own state (carried on continue-as-new) too large. */
  public static final int MAX_DATABASES = 5_000;

  private FleetDefaults() {}
}
