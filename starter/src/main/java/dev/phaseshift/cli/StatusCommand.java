package dev.phaseshift.cli;

import dev.phaseshift.model.CopyProgress;
import dev.phaseshift.model.MigrationStatus;
import dev.phaseshift.model.Phase;
import dev.phaseshift.model.TableCopyResult;
import java.io.PrintWriter;
import java.util.EnumSet;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code phaseshift status NAME}: where a migration is and what it waits for. */
@Command(name = "status", mixinStandardHelpOptions = true, exitCodeListHeading = "%nExit codes:%n",
    exitCodeList = {"0:shown (with --watch: the migration completed)", "1:with --watch: the migration failed, was aborted or rolled back",
        "2:bad input", "3:cannot reach Temporal or no such migration"},
    description = {"Shows a migration's phase, per-table copy progress, lag and what it waits for.",
        "With --watch it redraws until the migration ends."})
public final class StatusCommand implements Callable<Integer> {
  static final Set<Phase> ENDED = EnumSet.of(Phase.COMPLETED, Phase.FAILED, Phase.ABORTED, Phase.ROLLED_BACK);
  static final int BAR = 24;

  @Parameters(paramLabel = "NAME", description = "migration name (the plan's name)")
  String name;

  @Option(names = "--watch", description = "redraw every --interval seconds until the migration ends")
  boolean watch;

  @Option(names = "--interval", defaultValue = "2", description = "seconds between redraws with --watch (default ${DEFAULT-VALUE})")
  int interval;

  @Mixin Output output;
  @Mixin TemporalOptions temporal;
  @Spec CommandSpec spec;

  @Override
  public Integer call() {
    String id = Names.workflowId(name);
    if (interval < 1) throw new CliException(ExitCodes.BAD_INPUT, "--interval must be 1 second or more");
    PrintWriter out = spec.commandLine().getOut();
    try {
      var client = temporal.client();
      while (true) {
        LiveStatus live = LiveStatus.read(client, id);
        if (output.json()) {
          out.println(Output.toJson(live));
        } else {
          if (watch) out.print("\033[H\033[2J");
          out.print(render(live));
        }
        out.flush();
        Phase phase = live.status().phase();
        if (!watch) return ExitCodes.OK;
        if (ENDED.contains(phase)) return phase == Phase.COMPLETED ? ExitCodes.OK : ExitCodes.FAILED;
        OperatorCommands.sleep(interval * 1000L);
      }
    } finally {
      temporal.close();
    }
  }

  /** The status as an operator reads it: one progress bar per table, then lag and what it waits for. */
  static String render(LiveStatus live) {
    MigrationStatus s = live.status();
    StringBuilder b = new StringBuilder();
    b.append("Migration ").append(s.name()).append(": ").append(s.phase()).append(s.paused() ? " (paused)" : "").append('\n');
    if (s.waitingFor() != null && !s.waitingFor().isEmpty()) b.append("  waiting for: ").append(s.waitingFor()).append('\n');
    if (s.tablesTotal() > 0) {
      b.append("  tables copied: ").append(s.tablesCopied()).append(" of ").append(s.tablesTotal()).append('\n');
    }
    if (s.copies().size() < s.tablesCopied()) {
      b.append("  (the ").append(s.copies().size()).append(" largest and slowest of them:)\n");
    }
    for (TableCopyResult done : s.copies()) {
      b.append(String.format("  %-32s %s 100%%  %,d rows, %s%n", done.table(), bar(1, 1), done.rows(), Bytes.human(done.bytes())));
    }
    for (CopyProgress p : live.runningCopies()) {
      int pct = p.chunksTotal() == 0 ? 0 : (int) (100L * p.chunksDone() / p.chunksTotal());
      b.append(String.format("  %-32s %s %3d%%  %d/%d %s, %s%n", p.table(), bar(p.chunksDone(), p.chunksTotal()),
          pct, p.chunksDone(), p.chunksTotal(), LiveStatus.unitOf(p), Bytes.human(p.bytesCopied())));
    }
    if (s.lag() != null) b.append("  lag: ").append(Bytes.human(s.lag().bytes())).append('\n');
    if (s.validation() != null) {
      b.append("  validation: ").append(s.validation().verdict()).append('\n');
    }
    if (s.writeFreezeMillis() != null) b.append("  write freeze: ").append(s.writeFreezeMillis()).append(" ms\n");
    b.append("  primary: ").append(s.primary()).append('\n');
    if (!s.approvals().isEmpty()) {
      b.append("  approvals: ");
      s.approvals().forEach(a -> b.append(a.approver()).append(' '));
      b.append('\n');
    }
    if (s.error() != null) b.append("  error: ").append(s.error()).append('\n');
    return b.toString();
  }

  static String bar(long done, long total) {
    int filled = total <= 0 ? 0 : (int) Math.min(BAR, BAR * done / total);
    return "[" + "#".repeat(filled) + "-".repeat(BAR - filled) + "]";
  }
}
