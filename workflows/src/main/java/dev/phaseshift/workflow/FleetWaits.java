package dev.phaseshift.workflow;

import dev.phaseshift.model.FleetMember;
import dev.phaseshift.model.FleetMemberState;
import dev.phaseshift.plan.FleetWaves;

/** What a fleet waits for, in the words the query, the CLI and the Web UI show. */
final class FleetWaits {
  static final int DETAIL_ROWS = 1_000;

  private FleetWaits() {}

  static String describe(FleetRun run) {
    long running = run.count(FleetMemberState.RUNNING);
    String name = run.plan.name();
    if (run.done) return "";
    if (run.aborted) {
      return running == 0 ? "" : running + " running migration(s) to end; the fleet was aborted and starts no more";
    }
    if (run.held != null) {
      return run.held + "; phaseshift fleet resume|skip|abort " + name;
    }
    if (run.paused) return "a resume (the fleet is paused; " + running + " migration(s) still run): phaseshift fleet resume " + name;
    int wave = run.currentWave;
    if (FleetWaves.SIGN_OFF_WAVE.equals(run.plan.waves().signOff()) && run.approvalOf(wave) == null) {
      return "the sign-off of wave " + wave + " before its switchovers: phaseshift fleet approve " + name
          + " --wave " + wave;
    }
    long pending = run.inWave(wave).stream().map(run.members::get).filter(m -> m.state() == FleetMemberState.PENDING)
        .count();
    StringBuilder s = new StringBuilder("wave " + wave + " of " + run.waves + ": " + running + " running");
    if (pending > 0) s.append(", ").append(pending).append(" to start (").append(run.plan.waves().concurrency())
        .append(" at once)");
    run.members.stream().filter(m -> m.state() == FleetMemberState.RUNNING && m.waitingFor() != null
        && !m.waitingFor().isEmpty()).findFirst().ifPresent(m -> s.append("; ").append(m.name()).append(" waits for ")
        .append(m.waitingFor()));
    return s.toString();
  }

  /** The Web UI's current details: what the fleet waits for, a table row per database, a line per wave. */
  static String details(FleetRun run) {
    StringBuilder s = new StringBuilder();
    s.append("**Fleet ").append(run.plan.name()).append("**: ").append(run.state()).append(", wave ")
        .append(run.currentWave).append(" of ").append(run.waves).append("\n\n");
    String waits = describe(run);
    if (!waits.isEmpty()) s.append("Waiting for: ").append(waits).append("\n\n");
    s.append("| Database | Wave | State | Phase | Lag (bytes) | Freeze (ms) | Waiting for |\n|---|---|---|---|---|---|---|\n");
    int shown = 0;
    for (FleetMember m : run.members) {
      // Every database up to a thousand; the details are read by a query, never kept in history.
      if (++shown > DETAIL_ROWS) {
        s.append("| ... ").append(run.members.size() - DETAIL_ROWS).append(" more: phaseshift fleet status ")
            .append(run.plan.name()).append(" | | | | | | |\n");
        break;
      }
      s.append("| ").append(m.name()).append(" | ").append(m.wave()).append(" | ").append(m.state()).append(" | ")
          .append(orDash(m.phase())).append(" | ").append(orDash(m.lagBytes())).append(" | ")
          .append(orDash(m.freezeMillis())).append(" | ").append(orDash(m.waitingFor())).append(" |\n");
    }
    s.append("\n");
    for (int w = 0; w < run.waves; w++) {
      int wave = w;
      var rows = run.inWave(wave).stream().map(run.members::get).toList();
      s.append("- wave ").append(wave).append(wave == 0 && run.plan.waves().canary() > 0 ? " (canary)" : "")
          .append(": ");
      for (FleetMemberState st : FleetMemberState.values()) {
        long n = rows.stream().filter(m -> m.state() == st).count();
        if (n > 0) s.append(st.name().toLowerCase()).append(' ').append(n).append(' ');
      }
      s.append("\n");
    }
    return s.toString();
  }

  private static String orDash(Object o) {
    return o == null || o.toString().isEmpty() ? "-" : o.toString().replace('|', '/');
  }
}
