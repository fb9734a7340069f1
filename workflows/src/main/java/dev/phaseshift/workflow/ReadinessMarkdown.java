package dev.phaseshift.workflow;

import dev.phaseshift.model.Assessment;
import dev.phaseshift.model.ClientProfile;
import dev.phaseshift.model.DowntimeForecast;
import dev.phaseshift.model.Finding;
import dev.phaseshift.model.Readiness;
import dev.phaseshift.model.Severity;
import dev.phaseshift.model.TopStatement;
import dev.phaseshift.model.TableWorkload;
import dev.phaseshift.model.WorkloadReport;
import java.util.Locale;

/**
 * The assessment report as Markdown: what {@code phaseshift assess} prints, what a migration's
 * webhook receives after PREPARE and what the Web UI's current details show while the run waits
 * for sign-off. Pure formatting of the records, so CLI and workflow print the same thing.
 */
public final class ReadinessMarkdown {
  private ReadinessMarkdown() {}

  public static String render(Readiness r) {
    StringBuilder md = new StringBuilder("# Assessment of ").append(r.name()).append("\n\n");
    if (r.assessment() != null) servers(md, r.assessment());
    if (r.workload() != null) {
      workload(md, r.workload());
      forecast(md, r.workload().forecast());
      clients(md, r.workload());
      windows(md, r.workload());
    }
    findings(md, r);
    return md.toString();
  }

  private static void servers(StringBuilder md, Assessment a) {
    md.append("## Size\n\n| | Source | Target |\n|---|---|---|\n")
        .append("| Version | ").append(a.source().version()).append(" | ").append(a.target().version()).append(" |\n")
        .append("| Database | ").append(bytes(a.source().databaseBytes())).append(" | ")
        .append(bytes(a.target().databaseBytes())).append(" |\n")
        .append("| Selected tables | ").append(a.tableCount()).append(" (").append(bytes(a.totalBytes()))
        .append(") | |\n\n");
  }

  private static void workload(StringBuilder md, WorkloadReport w) {
    md.append("## Workload\n\n");
    if (w.sampleMillis() <= 0) {
      md.append("Not sampled (assessment.sample: 0s): sizes only.\n\n");
      return;
    }
    md.append("Sampled for ").append(seconds(w.sampleMillis())).append(", ending ").append(w.sampledAt()).append(".\n\n")
        .append("| | |\n|---|---|\n")
        .append("| Write-ahead log per minute | ").append(bytes(w.changeLogBytesPerMinute())).append(" |\n")
        .append("| Database size now | ").append(bytes(w.databaseBytes())).append(" |\n")
        .append("| Growth during the sample | ").append(bytes(w.databaseGrowthBytes())).append(" (")
        .append(bytes(w.growthBytesPerHour())).append(" per hour) |\n\n");
    md.append("| Table | Scans | Rows read | Inserts | Updates | Deletes | Changes/min | Size | Growth |\n")
        .append("|---|---:|---:|---:|---:|---:|---:|---:|---:|\n");
    for (TableWorkload t : w.tables()) {
      md.append("| ").append(t.table()).append(" | ").append(t.scans()).append(" | ").append(t.rowsRead())
          .append(" | ").append(t.inserts()).append(" | ").append(t.updates()).append(" | ").append(t.deletes())
          .append(" | ").append(String.format(Locale.ROOT, "%.1f", t.changesPerMinute(w.sampleMillis())))
          .append(" | ").append(bytes(t.bytes())).append(" | ").append(bytes(t.growthBytes())).append(" |\n");
    }
    if (w.tablesOmitted() > 0) {
      md.append("\n").append(w.tablesOmitted()).append(" quieter table(s) not listed (the busiest ")
          .append(WorkloadReport.TABLES_LISTED).append(" are).\n");
    }
    md.append("\n### Top statements by total time\n\n");
    if (w.statements() == null) {
      md.append(w.statementsNote()).append("\n\n");
      return;
    }
    md.append(w.statementsNote()).append("\n\n| Statement | Calls | Total ms | Mean ms | Rows |\n|---|---:|---:|---:|---:|\n");
    for (TopStatement s : w.statements()) {
      md.append("| `").append(s.statement().replace("|", "\\|").replace("`", "'").replace('\n', ' ')).append("` | ")
          .append(s.calls()).append(" | ").append(String.format(Locale.ROOT, "%.1f", s.totalMillis())).append(" | ")
          .append(String.format(Locale.ROOT, "%.2f", s.meanMillis())).append(" | ").append(s.rows()).append(" |\n");
    }
    md.append('\n');
  }

  private static void forecast(StringBuilder md, DowntimeForecast f) {
    if (f == null) return;
    md.append("## Downtime forecast\n\n| | |\n|---|---|\n")
        .append("| Copy | ").append(seconds(f.copyMillis())).append(" |\n")
        .append("| Catch-up after the copy | ").append(seconds(f.catchUpMillis())).append(" |\n")
        .append("| Write freeze | ").append(f.freezeMillis() < 0 ? "unknown" : f.freezeMillis() + " ms")
        .append(" (bound: cutover.maxFreeze = ").append(f.maxFreezeMillis()).append(" ms; ")
        .append(f.freezeMillis() < 0 ? "cannot tell" : f.withinBound() ? "within" : "EXCEEDS").append(") |\n")
        .append("| Basis | ").append(f.basis()).append(" |\n\n");
  }

  private static void clients(StringBuilder md, WorkloadReport w) {
    md.append("## Clients\n\n");
    if (w.clients().isEmpty()) {
      md.append("No client sessions on the source while it was sampled.\n\n");
      return;
    }
    md.append("| Application / driver | User | Address | TLS | Sessions | Target admits | Access |\n")
        .append("|---|---|---|---|---:|---|---|\n");
    for (ClientProfile c : w.clients()) {
      md.append("| ").append(c.application().isEmpty() ? "(none)" : c.application()).append(" | ").append(c.user())
          .append(" | ").append(c.address()).append(" | ").append(c.tls() == null ? "no" : c.tls()).append(" | ")
          .append(c.sessions()).append(" | ").append(c.admitted() ? "yes" : "NO").append(" | ")
          .append(c.access().replace("|", "\\|").replace('\n', ' ')).append(" |\n");
    }
    if (w.clientsOmitted() > 0) md.append("\nand ").append(w.clientsOmitted()).append(" more client group(s).\n");
    md.append('\n');
  }

  private static void windows(StringBuilder md, WorkloadReport w) {
    md.append("## Maintenance windows\n\n");
    if (w.windows().isEmpty()) md.append("- none in the plan: the switchover may start any time\n");
    for (String window : w.windows()) md.append("- ").append(window).append('\n');
    md.append("\nNext window that fits the forecast: ").append(w.nextFittingWindow()).append("\n\n");
  }

  private static void findings(StringBuilder md, Readiness r) {
    md.append("## Blockers and warnings\n\n");
    int listed = 0;
    if (r.assessment() != null) {
      for (Finding f : r.assessment().findings()) listed += finding(md, f);
    }
    if (r.workload() != null) {
      for (Finding f : r.workload().warnings()) listed += finding(md, f);
    }
    if (listed == 0) md.append("None.\n");
  }

  private static int finding(StringBuilder md, Finding f) {
    if (f.severity() == Severity.INFO) return 0;
    md.append("- **").append(f.severity()).append("** ").append(f.subject()).append(": ").append(f.message()).append('\n');
    return 1;
  }

  static String seconds(long millis) {
    if (millis < 0) return "unknown";
    if (millis < 120_000) return String.format(Locale.ROOT, "%.1f s", millis / 1000.0);
    if (millis < 7_200_000) return String.format(Locale.ROOT, "%.1f min", millis / 60_000.0);
    return String.format(Locale.ROOT, "%.1f h", millis / 3_600_000.0);
  }

  static String bytes(long b) {
    long abs = Math.abs(b);
    if (abs < 1024) return b + " B";
    if (abs < 1024L * 1024) return String.format(Locale.ROOT, "%.1f KiB", b / 1024.0);
    if (abs < 1024L * 1024 * 1024) return String.format(Locale.ROOT, "%.1f MiB", b / 1048576.0);
    return String.format(Locale.ROOT, "%.1f GiB", b / 1073741824.0);
  }
}
