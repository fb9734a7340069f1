package dev.phaseshift.workflow;

import dev.phaseshift.model.Runbook;
import dev.phaseshift.model.RunbookStep;

/**
 * The runbook as Markdown: {@code phaseshift runbook NAME} (the workflow's {@code runbook} query),
 * the Web UI's current details while the run waits for sign-off, and the report's planned-versus-
 * actual section once steps have run.
 */
public final class RunbookMarkdown {
  private RunbookMarkdown() {}

  public static String render(String name, Runbook r) {
    StringBuilder md = new StringBuilder("# Runbook: switchover of ").append(name).append("\n\n")
        .append("Published ").append(r.publishedAt()).append(".\n\n")
        .append("| # | Step | Planned | Actual |\n|---:|---|---|---|\n");
    int n = 1;
    for (RunbookStep s : r.steps()) {
      md.append("| ").append(n++).append(" | ").append(s.step()).append(" | ").append(cell(s.planned())).append(" | ")
          .append(s.actual() == null ? "-" : cell(s.actual())).append(" |\n");
    }
    md.append("\n## Rollback\n\nPossible ").append(r.rollbackUntil()).append(".\n\n");
    int i = 1;
    for (String step : r.rollback()) md.append(i++).append(". ").append(step).append('\n');
    return md.toString();
  }

  private static String cell(String text) {
    return text.replace("|", "\\|").replace('\n', ' ');
  }
}
