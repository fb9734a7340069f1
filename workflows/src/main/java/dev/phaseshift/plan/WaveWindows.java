package dev.phaseshift.plan;

import java.util.List;

/**
 * The maintenance windows of one wave: its migrations switch over only inside them (they replace
 * the template's windows for that wave).
 *
 * @param wave    the wave's number, 0 being the canary
 * @param windows as in a migration plan: recurring (cron and duration) or once (start and end)
 */
public record WaveWindows(Integer wave, List<MaintenanceWindow> windows) {}
