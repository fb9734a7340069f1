package dev.phaseshift.cli;

import dev.phaseshift.model.ClientAccess;
import dev.phaseshift.model.ClientAdmission;
import dev.phaseshift.model.ClientSeen;

/**
 * The clients the source showed and whether the target admits each, as `status` prints it and
 * as the report's section: what an approver reads before signing off.
 */
final class ClientAccessView {
  private ClientAccessView() {}

  static String lines(ClientAccess access) {
    StringBuilder b = new StringBuilder("  client access: ").append(access.summary()).append('\n');
    for (ClientAdmission a : access.clients()) {
      ClientSeen c = a.client();
      b.append("    ").append(a.retired() ? "retired  " : a.admitted() ? "admitted " : a.undecided() ? "UNDECIDED " : "REFUSED  ").append(c.label())
          .append(", up to ").append(c.peakSessions()).append(" session(s), last seen ").append(c.lastSeen())
          .append(a.admitted() ? "" : "\n      " + a.verdict()).append('\n');
    }
    if (access.clientsOmitted() > 0) b.append("    and ").append(access.clientsOmitted()).append(" more client(s)\n");
    for (String blocker : access.blockers()) {
      if (access.clients().stream().noneMatch(a -> a.verdict().contains(blocker))) {
        b.append("    to do on the target: ").append(blocker).append('\n');
      }
    }
    if (access.blockersOmitted() > 0) b.append("    and ").append(access.blockersOmitted()).append(" more blocker(s)\n");
    return b.toString();
  }

  static String markdown(ClientAccess access) {
    StringBuilder md = new StringBuilder("\n## Client access\n\n").append(access.summary())
        .append(" (checked ").append(access.checkedAt()).append(")\n\n")
        .append("| client | sessions (peak) | first seen | last seen | target |\n|---|---:|---|---|---|\n");
    for (ClientAdmission a : access.clients()) {
      ClientSeen c = a.client();
      md.append("| ").append(cell(c.label())).append(" | ").append(c.peakSessions()).append(" | ").append(c.firstSeen())
          .append(" | ").append(c.lastSeen()).append(" | ")
          .append(a.retired() ? "retired: " : a.admitted() ? "" : a.undecided() ? "**undecided**: " : "**refused**: ").append(cell(a.verdict())).append(" |\n");
    }
    if (access.clientsOmitted() > 0) md.append("\nand ").append(access.clientsOmitted()).append(" more client(s)\n");
    if (access.blocked()) {
      md.append("\nTo do on the target:\n\n");
      access.blockers().forEach(x -> md.append("- ").append(x).append('\n'));
    }
    return md.toString();
  }

  private static String cell(String text) {
    return text == null ? "" : text.replace("|", "\\|").replace("\n", " ");
  }
}
