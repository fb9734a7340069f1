package dev.phaseshift.model;

import java.util.List;

/**
 * The target's access control checked against every client the source has seen: what the approver
 * reads before signing off, and what holds the switchover back while something is missing.
 *
 * @param clients        the clients, those not admitted first; at most {@link #LISTED}
 * @param clientsOmitted clients beyond that list (their blockers are still counted)
 * @param blockers       each change to make on the target, in words an operator can run; at most
 *                       {@link #LISTED}
 * @param blockersOmitted blockers beyond that list
 * @param checkedAt      when the target was read (ISO-8601)
 */
public record ClientAccess(List<ClientAdmission> clients, int clientsOmitted, List<String> blockers,
    int blockersOmitted, String checkedAt) {
  /** Bounds the record, which the workflow keeps in its state and history. */
  public static final int LISTED = 30;

  public boolean blocked() {
    return !blockers.isEmpty() || blockersOmitted > 0;
  }

  public int clientCount() {
    return clients.size() + clientsOmitted;
  }

  /** One line for the current details, e.g. "12 clients seen, all admitted" or "2 blockers: ...". */
  public String summary() {
    if (!blocked()) {
      long retired = clients.stream().filter(ClientAdmission::retired).count();
      var undecided = clients.stream().filter(ClientAdmission::undecided).toList();
      if (!undecided.isEmpty()) {
        return clientCount() + " client(s) seen on the source, " + undecided.size() + " of them not decidable from"
            + " the worker, first: " + undecided.get(0).client().label() + ": " + undecided.get(0).verdict();
      }
      return clientCount() + " client(s) seen on the source, all admitted by the target"
          + (retired == 0 ? "" : " (" + retired + " retired)");
    }
    int count = blockers.size() + blockersOmitted;
    return count + " access blocker(s) on the target, first: " + blockers.get(0);
  }
}
