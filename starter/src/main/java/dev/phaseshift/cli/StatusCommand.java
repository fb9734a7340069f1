package dev.phaseshift.cli;

import dev.phaseshift.model.CopyProgress;
import dev.phaseshift.model.MigrationStatus;
import dev.phaseshift.model.Phase;
import dev.phaseshift.model.TableCopyResult;
import java.io.PrintWriter;
import java.time.Duration;
import java.time.Instant;
import java.util.EnumSet;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code phaseshift status NAME}: where a migration is, what it waits for, and how its current step fares. */
@Command(name = "status", mixinStandardHelpOptions = true, exitCodeListHeading = "%nExit codes:%n",
    exitCodeList = {"0:the migration is running or completed (with --watch: it completed)",
        "1:the migration failed, was aborted or rolled back",
        "2:bad input", "3:cannot reach Temporal or no such migration"},
    description = {"Shows a migration's phase, its current step, per-table copy progress, lag and what it waits for.",
        "A step that is being retried shows its attempt and its last failure, and whether retrying can help.",
        "Works without a running worker: steps and phase come from Temporal, a finished run from its result.",
        "With --watch it redraws until the migration ends, with elapsed time, copy rate and time left."})
public final class StatusCommand implements Callable<Integer> {
  static final Set<Phase> ENDED = EnumSet.of(Phase.COMPLETED, Phase.FAILED, Phase.ABORTED, Phase.ROLLED_BACK);
  static final int BAR = 24;

  @Parameters(paramLabel = "NAME", description = "migration name (the plan's name)")
  String name;

  @Mixin Watching watching;

  @Mixin Output output;
  @Mixin TemporalOptions temporal;
  @Spec CommandSpec spec;

  @Override
  public Integer call() {
    String id = Names.workflowId(name);
    watching.check();
    PrintWriter out = spec.commandLine().getOut();
    CopyRate rate = new CopyRate();
    try {
      var client = temporal.client();
      while (true) {
        LiveStatus live = LiveStatus.read(client, id);
        rate.sample(live.bytesCopied(), live.readAt());
        if (output.json()) {
          out.println(Output.toJson(live));
        } else {
          watching.clear(out);
          out.print(render(live));
          if (watching.watch) out.print(watchLines(live, rate));
        }
        out.flush();
        Phase phase = live.status().phase();
        if (ENDED.contains(phase)) return phase == Phase.COMPLETED ? ExitCodes.OK : ExitCodes.FAILED;
        if (!watching.watch) return ExitCodes.OK;
        watching.pause();
      }
    } finally {
      temporal.close();
    }
  }

  /** The status as an operator reads it: phase and step, one progress bar per table, lag, troubled steps. */
  static String render(LiveStatus live) {
    MigrationStatus s = live.status();
    StringBuilder b = new StringBuilder();
    b.append("Migration ").append(s.name()).append(": ").append(s.phase()).append(s.paused() ? " (paused)" : "").append('\n');
    if (live.note() != null) b.append("  note: ").append(live.note()).append('\n');
    if (s.waitingFor() != null && !s.waitingFor().isEmpty()) b.append("  waiting for: ").append(s.waitingFor()).append('\n');
    if (s.step() != null && !ENDED.contains(s.phase())) b.append("  step: ").append(s.step()).append('\n');
    if (s.tablesTotal() > 0) {
      b.append("  tables copied: ").append(s.tablesCopied()).append(" of ").append(s.tablesTotal()).append('\n');
    }
    if (s.copies().size() < s.tablesCopied()) {
      b.append("  (the ").append(s.copies().size()).append(" largest and slowest of them:)\n");
    }
    for (TableCopyResult done : s.copies()) {
      b.append(String.format("  %-32s %s 100%%  %,d rows, %s%n", done.table(), bar(1, 1), done.rows(), Bytes.human(done.bytes())));
    }
    for (StepView step : live.steps()) {
      CopyProgress p = step.progress();
      if (p == null) continue;
      int pct = p.chunksTotal() == 0 ? 0 : (int) (100L * p.chunksDone() / p.chunksTotal());
      // A copy whose worker is gone or that waits to retry shows where it stopped, not as running.
      String how = "running".equals(step.state()) ? ""
          : "  " + step.state() + (step.attempt() > 1 ? ", attempt " + step.attempt() : "") + " (progress as last reported)";
      b.append(String.format("  %-32s %s %3d%%  %d/%d %s, %s%s%n", p.table(), bar(p.chunksDone(), p.chunksTotal()),
          pct, p.chunksDone(), p.chunksTotal(), LiveStatus.unitOf(p), Bytes.human(p.bytesCopied()), how));
    }
    if (s.lag() != null) b.append("  lag: ").append(Bytes.human(s.lag().bytes())).append(lagAge(s, live)).append('\n');
    if (s.validation() != null) {
      b.append("  validation: ").append(s.validation().verdict()).append('\n');
    }
    if (s.clientAccess() != null) b.append(ClientAccessView.lines(s.clientAccess()));
    if (s.verification() != null) b.append(VerificationView.lines(s.verification(), java.time.Instant.now()));
    if (s.writeFreezeMillis() != null) b.append("  write freeze: ").append(s.writeFreezeMillis()).append(" ms\n");
    b.append("  primary: ").append(s.primary()).append('\n');
    if (!s.approvals().isEmpty()) {
      b.append("  approvals: ");
      s.approvals().forEach(a -> b.append(a.approver()).append(' '));
      b.append('\n');
    }
    for (StepView step : live.steps()) {
      if (step.troubled() || step.attempt() > 1) b.append("  ").append(step.describe()).append('\n');
    }
    if (s.error() != null) b.append("  error: ").append(s.error()).append('\n');
    return b.toString();
  }

  /** How old the lag figure is: the workflow measures it at its own pace, not when status is read. */
  static String lagAge(MigrationStatus s, LiveStatus live) {
    if (s.lag().measuredAt() == null || ENDED.contains(s.phase())) return "";
    Duration age = Duration.between(Instant.parse(s.lag().measuredAt()), live.readAt());
    return ", measured " + (age.isNegative() ? "just now" : CopyRate.human(age) + " ago")
        + " (" + s.lag().measuredAt() + ")";
  }

  /** What only a watcher needs: time so far, the copy's rate and time left, and the command to sign off. */
  static String watchLines(LiveStatus live, CopyRate rate) {
    MigrationStatus s = live.status();
    StringBuilder b = new StringBuilder();
    if (live.startedAt() != null) {
      b.append("  elapsed: ").append(CopyRate.human(Duration.between(live.startedAt(), live.readAt()))).append('\n');
    }
    if (s.phase() == Phase.MIGRATE && rate.known() && !live.runningCopies().isEmpty()) {
      b.append("  copy rate: ").append(Bytes.human((long) rate.bytesPerSecond())).append("/s");
      if (s.bytesTotal() > 0) {
        b.append(", about ").append(CopyRate.human(rate.left(live.bytesCopied(), s.bytesTotal())))
            .append(" left (estimated from the tables' size on disk)");
      }
      b.append('\n');
    }
    if (s.phase() == Phase.SWITCHOVER && s.waitingFor() != null && s.waitingFor().startsWith("approval")) {
      b.append("  to sign off: phaseshift approve ").append(s.name()).append(" --as YOUR_NAME -m \"why\"\n");
    }
    return b.toString();
  }

  static String bar(long done, long total) {
    int filled = total <= 0 ? 0 : (int) Math.min(BAR, BAR * done / total);
    return "[" + "#".repeat(filled) + "-".repeat(BAR - filled) + "]";
  }
}
