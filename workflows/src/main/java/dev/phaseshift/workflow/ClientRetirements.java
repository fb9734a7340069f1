package dev.phaseshift.workflow;

import dev.phaseshift.model.ClientAccess;
import dev.phaseshift.model.ClientAdmission;
import dev.phaseshift.model.ClientConnection;
import dev.phaseshift.model.ClientRetirement;
import dev.phaseshift.model.ClientSeen;
import dev.phaseshift.plan.RetiredClient;
import java.util.ArrayList;
import java.util.List;

/**
 * Clients an operator retires while the migration runs ({@code retireClient}): whether a request
 * is accepted, and the plan's {@code retiredClients} it adds to for the access check. A client
 * can be retired until the freeze (after it the target's access has been checked for the last
 * time) and only if the migration has seen it, so that a typo does not silently retire nothing
 * and the report lists what was acknowledged.
 */
final class ClientRetirements {
  private final MigrationState state;

  ClientRetirements(MigrationState state) {
    this.state = state;
  }

  /** Why the request is refused, or null when it is accepted. */
  String refusal(ClientRetirement r) {
    if (state.plan == null) return OperatorRules.NOT_STARTED;
    if (r == null || blank(r.by())) {
      return "name who retires the client: {\"by\": \"...\", \"user\": \"...\", \"address\": \"...\", \"comment\": \"why\"}";
    }
    if (blank(r.comment())) return "say why the client will not move to the target (comment)";
    if (blank(r.user()) && blank(r.address()) && blank(r.applicationName())) {
      return "name the client by user, address and/or applicationName (a field left out matches any client)";
    }
    String database = sourceDatabase();
    if (!blank(r.database()) && database != null && !r.database().equals(database)) {
      return "this migration moves database " + database + ", not " + r.database();
    }
    if (!blank(r.address()) && !RetiredClient.validAddress(r.address())) {
      return "address must be an IP address, a CIDR range such as 10.1.0.0/16, or local; " + r.address() + " is none";
    }
    if (state.switchoverStarted()) {
      return "the switchover has already started: the target's access was checked for the last time before the freeze";
    }
    if (state.stopping() || state.stopped()) {
      return "the migration is " + (state.stopReason == null ? "over (" + state.phase + ")" : "stopping: " + state.stopReason);
    }
    RetiredClient wanted = asRetired(r, "");
    List<String> seen = seen();
    if (seen.stream().noneMatch(c -> matches(wanted, c))) {
      return "no client seen on the source so far matches " + describe(r) + (seen.isEmpty() ? ""
          : "; seen: " + String.join(", ", seen.stream().map(ClientRetirements::label).limit(10).toList()))
          + " (phaseshift status lists them)";
    }
    return null;
  }

  /** Records an accepted request: from now on the access check leaves that client out. */
  RetiredClient accept(ClientRetirement r, String at) {
    RetiredClient retired = asRetired(r, "by " + r.by() + " at " + at + ": " + r.comment());
    state.retiredClients.add(retired);
    // The approver's list shows it retired at once; the next access check (run at once if the
    // switchover waits for access) confirms it and drops the blockers it caused.
    if (state.clientAccess != null) {
      ClientAccess a = state.clientAccess;
      List<ClientAdmission> listed = a.clients().stream().map(c -> retired.matches(c.client().user(),
          c.client().address(), c.client().applicationName())
          ? new ClientAdmission(c.client(), true, true, "retired: " + retired.reason()) : c).toList();
      state.clientAccess = new ClientAccess(listed, a.clientsOmitted(), a.blockers(), a.blockersOmitted(), a.checkedAt());
    }
    return retired;
  }

  static String describe(ClientRetirement r) {
    List<String> parts = new ArrayList<>();
    if (!blank(r.user())) parts.add("user " + r.user());
    if (!blank(r.address())) parts.add("address " + r.address());
    if (!blank(r.applicationName())) parts.add("application " + r.applicationName());
    return String.join(", ", parts);
  }

  private static RetiredClient asRetired(ClientRetirement r, String reason) {
    return new RetiredClient(blank(r.user()) ? null : r.user(), blank(r.address()) ? null : r.address(),
        blank(r.applicationName()) ? null : r.applicationName(), reason);
  }

  /** The clients the run knows of, as "user|address|application": PREPARE's sessions and the last access check. */
  private List<String> seen() {
    List<String> out = new ArrayList<>();
    if (state.assessment != null && state.assessment.clients() != null) {
      for (ClientConnection c : state.assessment.clients()) out.add(c.user() + "|" + c.clientAddress() + "|" + c.applicationName());
    }
    if (state.clientAccess != null) {
      for (ClientAdmission a : state.clientAccess.clients()) {
        ClientSeen c = a.client();
        out.add(c.user() + "|" + c.address() + "|" + c.applicationName());
      }
    }
    return out.stream().distinct().toList();
  }

  private static String label(String seen) {
    String[] f = seen.split("\\|", -1);
    return f[0] + " from " + f[1] + (f[2].isEmpty() ? "" : " (" + f[2] + ")");
  }

  private static boolean matches(RetiredClient r, String seen) {
    String[] f = seen.split("\\|", -1);
    return r.matches(f[0], f[1], f[2]);
  }

  private String sourceDatabase() {
    String hostAndDatabase = state.plan.source().hostAndDatabase();
    int slash = hostAndDatabase.lastIndexOf('/');
    return slash < 0 ? null : hostAndDatabase.substring(slash + 1);
  }

  private static boolean blank(String s) {
    return s == null || s.isBlank();
  }
}
