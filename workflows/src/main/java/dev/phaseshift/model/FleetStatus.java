package dev.phaseshift.model;

import java.util.List;

/**
 * What a fleet's {@code status} query returns, and the compact state it carries across
 * continue-as-new: every database's row, the sign-offs, holds and the audit trail.
 *
 * @param name           the fleet's name
 * @param state          RUNNING, PAUSED, HELD (the stop policy stopped it), COMPLETED or ABORTED
 * @param currentWave    the wave that runs or runs next
 * @param waves          how many waves the fleet has
 * @param waitingFor     what the fleet waits for, in words, or empty
 * @param held           why the remaining waves wait for an operator, or null
 * @param approvedWaves  the sign-offs of waves (with wave sign-off), passed on to their migrations
 * @param acceptedFailures failed databases an operator resumed past (they do not stop the fleet again)
 * @param members        every database, in the fleet's order
 * @param decisions      the fleet's audit trail (the latest {@value #DECISIONS_KEPT})
 * @param runs           how many times the fleet continued as new so far
 * @param statusReadAt   when the running migrations' status was last read (ISO-8601)
 */
public record FleetStatus(
    String name,
    String state,
    int currentWave,
    int waves,
    String waitingFor,
    String held,
    List<WaveApproval> approvedWaves,
    int acceptedFailures,
    List<FleetMember> members,
    List<Decision> decisions,
    int runs,
    String statusReadAt) {

  public static final int DECISIONS_KEPT = 100;
  public static final String RUNNING = "RUNNING";
  public static final String PAUSED = "PAUSED";
  public static final String HELD = "HELD";
  public static final String COMPLETED = "COMPLETED";
  public static final String ABORTED = "ABORTED";

  public long count(FleetMemberState s) {
    return members.stream().filter(m -> m.state() == s).count();
  }
}
