package dev.phaseshift.plan;

import java.util.List;

/**
 * Many migrations moved as one fleet: the YAML file {@code phaseshift fleet start} reads and the
 * single input of {@code FleetWorkflow} (so the Web UI's start form takes it as JSON too).
 *
 * @param name        fleet name (lower-case letters, digits, '-', '_'); the workflow id is {@code fleet-<name>}
 * @param requestedBy who asked for the fleet; also each migration's requester unless its plan names one
 * @param template    the fields every migration shares (credentials as references, cutover, approval,
 *                    router, ...); a database entry fills in its name, source and target
 * @param databases   the databases, in the order they are moved
 * @param waves       how the databases are grouped and signed off
 * @param stop        when the remaining waves wait for an operator
 * @param statusEvery how often the fleet reads its running migrations' status (default
 *                    {@value FleetDefaults#STATUS_EVERY}); the query and the Web UI show that reading
 */
public record FleetPlan(
    String name,
    String requestedBy,
    MigrationPlan template,
    List<FleetDatabase> databases,
    FleetWaves waves,
    FleetStopPolicy stop,
    String statusEvery) {

  public String workflowId() {
    return "fleet-" + name;
  }

  public FleetPlan withDefaults() {
    FleetWaves w = waves == null ? new FleetWaves(null, null, null, null, null) : waves;
    return new FleetPlan(name, requestedBy, template, databases == null ? List.of() : databases,
        new FleetWaves(
            w.canary() == null ? FleetDefaults.CANARY : w.canary(),
            w.size() == null ? FleetDefaults.WAVE_SIZE : w.size(),
            w.concurrency() == null ? FleetDefaults.CONCURRENCY : w.concurrency(),
            w.signOff() == null ? FleetWaves.SIGN_OFF_DATABASE : w.signOff(),
            w.windows() == null ? List.of() : w.windows()),
        new FleetStopPolicy(stop == null || stop.maxFailureRate() == null ? 0.0 : stop.maxFailureRate()),
        statusEvery == null ? FleetDefaults.STATUS_EVERY : statusEvery);
  }
}
