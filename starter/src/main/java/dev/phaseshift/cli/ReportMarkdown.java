package dev.phaseshift.cli;

import dev.phaseshift.model.Approval;
import dev.phaseshift.model.ChunkDifference;
import dev.phaseshift.model.CopyTotals;
import dev.phaseshift.model.Decision;
import dev.phaseshift.model.MigrationReport;
import dev.phaseshift.model.ObjectCheck;
import dev.phaseshift.model.PhaseTiming;
import dev.phaseshift.model.RehearsalResult;
import dev.phaseshift.model.TableCopyResult;
import dev.phaseshift.model.TableValidation;
import dev.phaseshift.workflow.RunbookMarkdown;
import java.util.List;
import java.util.Optional;

/** A migration report as Markdown, for tickets, change records and chat. */
public final class ReportMarkdown {
  private ReportMarkdown() {}

  public static String render(MigrationReport r, Optional<MigrationReport> latestRehearsal) {
    StringBuilder md = new StringBuilder();
    md.append("# Migration report: ").append(r.name()).append("\n\n");
    md.append("| | |\n|---|---|\n");
    row(md, "Outcome", r.outcome());
    if (r.failedIn() != null) row(md, "Stopped in", r.failedIn().name());
    if (r.error() != null) row(md, "Error", r.error());
    if (r.switchover() != null) row(md, "Write freeze", r.switchover().writeFreezeMillis() + " ms");
    // A physically seeded target copied no table one by one: its seeding, not a throughput of zero.
    if (r.seeding() == null) row(md, "Copy throughput", r.copyThroughputMiBps() + " MiB/s");
    else row(md, "Seeding", r.seeding().method() + ": pg_basebackup + pg_createsubscriber on the worker of "
        + r.seeding().taskQueue() + ", " + String.format("%.1f", r.seeding().millis() / 1000.0) + " s");
    if (r.validation() != null) {
      row(md, "Validation", r.validation().verdict());
    }
    if (r.verify() != null) row(md, "Verify", r.verify().passed() ? "passed" : "failed");
    if (r.rollback() != null) row(md, "Rollback pause", r.rollback().writePauseMillis() + " ms");
    if (r.rehearsal() != null) rehearsalRows(md, r.rehearsal());

    if (r.copyTotals() != null) {
      CopyTotals t = r.copyTotals();
      row(md, "Tables copied", t.tables() + " (" + t.rows() + " rows, " + Bytes.human(t.bytes()) + ", "
          + t.activities() + " copy activities)");
    }
    if (r.copies() != null && !r.copies().isEmpty()) {
      String selection = r.copies().size() < r.tablesCopied()
          ? "\nThe " + r.copies().size() + " largest and slowest of " + r.tablesCopied() + " tables.\n" : "";
      md.append("\n## Tables copied\n").append(selection).append("\n| table | rows | bytes | seconds | chunks |\n|---|---:|---:|---:|---:|\n");
      for (TableCopyResult c : r.copies()) {
        md.append("| ").append(c.table()).append(" | ").append(c.rows()).append(" | ").append(Bytes.human(c.bytes()))
            .append(" | ").append(String.format("%.1f", c.millis() / 1000.0)).append(" | ").append(c.chunks()).append(" |\n");
      }
    }
    if (r.validation() != null && r.validation().tables() != null && !r.validation().tables().isEmpty()) {
      String selection = r.validation().tables().size() < r.validation().tableCount()
          ? "\n" + r.validation().tables().size() + " of " + r.validation().tableCount()
              + " tables compared, every mismatch first.\n" : "";
      md.append("\n## Validation\n").append(selection).append("\n| table | source rows | target rows | match |\n|---|---:|---:|---|\n");
      for (TableValidation t : r.validation().tables()) {
        md.append("| ").append(t.table()).append(" | ").append(t.sourceRows()).append(" | ").append(t.targetRows())
            .append(" | ").append(t.match() ? "yes" : "**no**").append(changing(t)).append(" |\n");
      }
      differences(md, r.validation().tables());
    }
    if (r.validation() != null && !r.validation().objectChecks().isEmpty()) {
      md.append("\n## Objects the stream does not carry\n\n| kind | object | source | target | match | note |\n"
          + "|---|---|---|---|---|---|\n");
      for (ObjectCheck o : r.validation().objectChecks()) {
        md.append("| ").append(o.kind()).append(" | ").append(o.name()).append(" | ").append(cell(o.source()))
            .append(" | ").append(cell(o.target())).append(" | ").append(o.match() ? "yes" : "**no**").append(" | ")
            .append(cell(o.note())).append(" |\n");
      }
    }
    if (r.phases() != null && !r.phases().isEmpty()) {
      md.append("\n## Phases\n\n| phase | started | seconds |\n|---|---|---:|\n");
      for (PhaseTiming p : r.phases()) {
        md.append("| ").append(p.phase()).append(" | ").append(p.startedAt()).append(" | ")
            .append(String.format("%.1f", p.millis() / 1000.0)).append(" |\n");
      }
    }
    if (r.clientAccess() != null) md.append(ClientAccessView.markdown(r.clientAccess()));
    if (r.verification() != null) md.append(VerificationView.markdown(r.verification()));
    if (r.optimization() != null) md.append(OptimizationView.markdown(r.optimization()));
    if (r.approvals() != null && !r.approvals().isEmpty()) {
      md.append("\n## Approvals\n\n");
      for (Approval a : r.approvals()) {
        md.append("- ").append(a.approver()).append(" at ").append(a.at())
            .append(a.comment() == null || a.comment().isBlank() ? "" : ": " + a.comment()).append('\n');
      }
    }
    if (r.decisions() != null && !r.decisions().isEmpty()) {
      md.append("\n## Decisions\n\n| at | action | by | accepted | reason |\n|---|---|---|---|---|\n");
      for (Decision d : r.decisions()) {
        md.append("| ").append(d.at()).append(" | ").append(d.action()).append(" | ").append(d.by()).append(" | ")
            .append(d.accepted() ? "yes" : "no").append(" | ").append(cell(d.reason())).append(" |\n");
      }
    }
    if (r.rehearsal() == null) {
      md.append("\n## Latest rehearsal\n\n");
      if (latestRehearsal.isEmpty()) {
        md.append("No completed rehearsal of this plan was found.\n");
      } else {
        md.append("| | |\n|---|---|\n");
        rehearsalRows(md, latestRehearsal.get().rehearsal());
      }
    }
    // The runbook as planned at sign-off, with what happened at each step (demoted one heading level).
    if (r.briefing() != null && r.briefing().runbook() != null) {
      md.append('\n').append(RunbookMarkdown.render(r.name(), r.briefing().runbook())
          .replaceAll("(?m)^#", "##"));
    }
    return md.toString();
  }

  /** Where each differing table differs: the key ranges to look at, with each side's row count there. */
  private static void differences(StringBuilder md, List<TableValidation> tables) {
    boolean any = tables.stream().anyMatch(t -> t.differences() != null && !t.differences().isEmpty());
    if (!any) return;
    md.append("\n### Where the content differs\n\n| table | rows in | source rows | target rows |\n|---|---|---:|---:|\n");
    for (TableValidation t : tables) {
      if (t.differences() == null || t.differences().isEmpty()) continue;
      for (ChunkDifference d : t.differences()) {
        md.append("| ").append(t.table()).append(" | `").append(d.range()).append("` | ").append(d.sourceRows())
            .append(" | ").append(d.targetRows()).append(" |\n");
      }
      if (t.chunks() != null && t.chunks() > 1) {
        md.append("| ").append(t.table()).append(" | ").append(t.differences().size()).append(" of ").append(t.chunks())
            .append(" key ranges differ | | |\n");
      }
    }
  }

  private static void rehearsalRows(StringBuilder md, RehearsalResult h) {
    row(md, "Rehearsal copy time", h.copyMillis() + " ms (" + Bytes.human(h.copiedBytes()) + ")");
    row(md, "Rehearsal validation time", h.validationMillis() + " ms");
    row(md, "Lag at measurement", Bytes.human(h.lagBytes()));
    row(md, "Write-freeze forecast", h.forecastText());
    row(md, "Scratch target torn down", h.tornDown() ? "yes" : "no");
  }

  private static void row(StringBuilder md, String key, String value) {
    md.append("| ").append(key).append(" | ").append(cell(value)).append(" |\n");
  }

  private static String cell(String text) {
    return text == null ? "" : text.replace("|", "\\|").replace("\n", " ");
  }

  /** Rows a validation could not compare because the application changed them in every round. */
  private static String changing(TableValidation t) {
    if (t.changing() == null) return "";
    if (t.changing().wholeTable()) return "; changed in every round, not compared";
    return "; " + t.changing().rows() + " row(s) changed in every round, not compared (e.g. "
        + cell(String.join(", ", t.changing().examples())) + ")";
  }
}
