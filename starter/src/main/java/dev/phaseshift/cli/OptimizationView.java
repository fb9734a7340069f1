package dev.phaseshift.cli;

import dev.phaseshift.model.OptimizationAdvice;
import dev.phaseshift.model.SettingDifference;
import dev.phaseshift.model.SlowerStatement;
import dev.phaseshift.model.TableFreeze;
import dev.phaseshift.model.UnusedIndex;
import java.util.Locale;

/** OPTIMIZE's advice as the report's section: what to look at on the new primary, nothing it changed itself. */
final class OptimizationView {
  private OptimizationView() {}

  static String markdown(OptimizationAdvice a) {
    StringBuilder md = new StringBuilder("\n## Optimization advice\n\n");
    md.append(a.frozen()
        ? "The copied tables were frozen (VACUUM (FREEZE)): no anti-wraparound vacuum of the copy is due.\n\n"
        : "Wraparound debt: " + Bytes.human(a.freezeDebtBytes()) + " of copied rows still carry the copy's"
            + " transaction ids; an anti-wraparound vacuum rewrites them all once their age reaches"
            + " autovacuum_freeze_max_age (" + a.freezeMaxAge() + "). Plan `optimize: {freeze: true}` or run"
            + " VACUUM (FREEZE) in a quiet hour.\n\n");
    if (!a.tables().isEmpty()) {
      md.append("| table | size | age before | age after |\n|---|---:|---:|---:|\n");
      for (TableFreeze t : a.tables()) {
        md.append("| ").append(t.table()).append(" | ").append(Bytes.human(t.bytes())).append(" | ")
            .append(t.ageBefore()).append(" | ").append(t.ageAfter()).append(" |\n");
      }
    }
    if (!a.slowerStatements().isEmpty()) {
      md.append("\n### Slower on the new primary\n");
      for (SlowerStatement s : a.slowerStatements()) {
        md.append(String.format(Locale.ROOT, "%n`%s`: %.3f ms on the new primary, %.3f ms on the source (%.1fx, %d"
            + " calls)%n%n", s.query().replace("`", "'"), s.targetMeanMillis(), s.sourceMeanMillis(), s.ratio(),
            s.targetCalls()));
        if (s.sourcePlan() != null) {
          md.append("| source | new primary |\n|---|---|\n| <pre>").append(html(s.sourcePlan())).append("</pre> | <pre>")
              .append(html(s.targetPlan())).append("</pre> |\n");
        }
        md.append('\n').append(s.planNote()).append('\n');
      }
    }
    if (!a.unusedIndexes().isEmpty()) {
      md.append("\n### Indexes the source never used\n\n| index | table | size on the new primary | unused since |\n"
          + "|---|---|---:|---|\n");
      for (UnusedIndex i : a.unusedIndexes()) {
        md.append("| ").append(i.index()).append(" | ").append(i.table()).append(" | ")
            .append(Bytes.human(i.bytesOnTarget())).append(" | ").append(i.unusedSince()).append(" |\n");
      }
    }
    if (!a.tablesWithoutStatistics().isEmpty()) {
      md.append("\nTables without statistics after ANALYZE: ").append(String.join(", ", a.tablesWithoutStatistics()))
          .append('\n');
    }
    if (!a.settings().isEmpty()) {
      md.append("\n### Settings that differ\n\n| setting | source | new primary | why it matters |\n|---|---|---|---|\n");
      for (SettingDifference d : a.settings()) {
        md.append("| ").append(d.name()).append(" | ").append(d.source()).append(" | ").append(d.target())
            .append(" | ").append(d.why()).append(" |\n");
      }
    }
    for (String note : a.notes()) md.append("\nNote: ").append(note).append('\n');
    return md.toString();
  }

  /** Plans go into table cells: line breaks as HTML, and nothing that would end the cell or the tag. */
  private static String html(String plan) {
    return plan.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("|", "&#124;")
        .replace("\n", "<br>");
  }
}
