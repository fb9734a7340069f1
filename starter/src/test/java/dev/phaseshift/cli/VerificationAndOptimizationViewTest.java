package dev.phaseshift.cli;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.phaseshift.model.MigrationReport;
import dev.phaseshift.model.OptimizationAdvice;
import dev.phaseshift.model.SettingDifference;
import dev.phaseshift.model.SlowerStatement;
import dev.phaseshift.model.StatementTime;
import dev.phaseshift.model.TableFreeze;
import dev.phaseshift.model.UnusedIndex;
import dev.phaseshift.model.VerificationBaseline;
import dev.phaseshift.model.VerificationStatus;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The verification window in `status` and both new sections of the report. */
class VerificationAndOptimizationViewTest {
  static final VerificationStatus WATCHING = new VerificationStatus("watching", "2026-11-27T06:15:00Z", 4, 1, 0,
      new VerificationBaseline(60, 6000, 0.01, 0, 0.0, 12, List.of(new StatementTime("SELECT a | b FROM t", 100, 25))),
      List.of("transactions: 3000 in 30s, 1.0% rolled back (source 1.0%)"), List.of(),
      List.of("stale clients: 1 session(s) still on the old database (batch as app from 10.0.0.9, idle)"));

  @Test
  void statusShowsTheWindowTimeLeftAndEachSignal() {
    String lines = VerificationView.lines(WATCHING, Instant.parse("2026-11-27T06:10:30Z"));
    assertTrue(lines.startsWith("  verification window: watching, 4 sample(s), 1 failed, 4m30s left\n"), lines);
    assertTrue(lines.contains("    transactions: 3000 in 30s"), lines);
    assertTrue(lines.contains("    warning: stale clients: 1 session(s)"), lines);
  }

  @Test
  void theReportHasTheWindowAndTheAdviceWithBothPlans() {
    OptimizationAdvice advice = new OptimizationAdvice(false, 200_000_000, 5L * 1024 * 1024,
        List.of(new TableFreeze("public.orders", 5L * 1024 * 1024, 511, 511)),
        List.of(new SlowerStatement("SELECT amount FROM orders WHERE ref = $1", 0.03, 13.4, 200,
            "Index Scan using orders_ref on orders", "Seq Scan on orders\n  Filter: (ref = $1)", "generic plans")),
        List.of(new UnusedIndex("public.orders_note", "public.orders", 2_500_000, "statistics were never reset")),
        List.of(), List.of(new SettingDifference("random_page_cost", "4", "1.1", "plans: index scans")), List.of());
    MigrationReport r = new MigrationReport("shop", "COMPLETED", null, null, null, List.of(), 0, null, null, null,
        List.of(), List.of(), List.of(), List.of(), null, null, null, null, WATCHING, advice, null);
    String md = ReportMarkdown.render(r, Optional.empty());
    assertTrue(md.contains("## Verification window\n\nwatching: 4 sample(s), 1 failed"), md);
    assertTrue(md.contains("| SELECT a \\| b FROM t | 100 | 0.250 |"), md);
    assertTrue(md.contains("## Optimization advice"), md);
    assertTrue(md.contains("Wraparound debt: 5.0 MiB"), md);
    assertTrue(md.contains("| <pre>Index Scan using orders_ref on orders</pre> | <pre>Seq Scan on orders<br>  Filter:"
        + " (ref = $1)</pre> |"), md);
    assertTrue(md.contains("| public.orders_note | public.orders |"), md);
    assertTrue(md.contains("| random_page_cost | 4 | 1.1 | plans: index scans |"), md);
  }
}
