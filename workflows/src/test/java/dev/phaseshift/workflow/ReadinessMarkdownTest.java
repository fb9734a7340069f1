package dev.phaseshift.workflow;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.phaseshift.model.Assessment;
import dev.phaseshift.model.ClientProfile;
import dev.phaseshift.model.DowntimeForecast;
import dev.phaseshift.model.Finding;
import dev.phaseshift.model.Readiness;
import dev.phaseshift.model.ServerInfo;
import dev.phaseshift.model.Severity;
import dev.phaseshift.model.TopStatement;
import dev.phaseshift.model.TableInfo;
import dev.phaseshift.model.TableWorkload;
import dev.phaseshift.model.WorkloadReport;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The assessment report's Markdown: every figure where the approver looks for it. */
class ReadinessMarkdownTest {
  @Test
  void rendersWorkloadForecastClientsWindowsAndFindings() {
    ServerInfo server = new ServerInfo("15.4", 150004, "logical", 5, 5, 80_000_000, List.of(), 0);
    Assessment assessment = Assessment.of(server, server,
        List.of(new TableInfo("public", "orders", 60_000_000, 100_000, true, "default", false)), List.of(), List.of(),
        List.of(new Finding(Severity.WARNING, "no_pk", "public.events", "add a primary key"),
            new Finding(Severity.INFO, "subscription_auth", "subscriptionAuth", "stored")));
    WorkloadReport w = new WorkloadReport(60_000, "2026-11-27T05:00:00Z",
        List.of(new TableWorkload("public.orders", 12, 340, 250, 40, 10, 60_000_000, 256_000)), 3,
        List.of(new TopStatement("INSERT INTO orders VALUES ($1, $2) | x", 250, 81.5, 0.326, 250)), "From the server.",
        3_145_728, 80_000_000, 512_000, 50 * 1048576L,
        List.of(new ClientProfile("shop_app", "10.0.0.7", "PostgreSQL JDBC Driver", "TLSv1.3", 4, false,
            "create role shop_app on the target")), 0,
        new DowntimeForecast(1_200, 30, 45_000, 30_000, "rehearsal r1", true), List.of("every `0 2 * * SAT` for 2h (UTC)"),
        "2026-11-28T02:00:00Z to 2026-11-28T04:00:00Z",
        List.of(new Finding(Severity.WARNING, "freeze_forecast", "cutover.maxFreeze", "raise maxFreeze")));

    String md = ReadinessMarkdown.render(new Readiness("shop", assessment, w));

    for (String line : List.of("# Assessment of shop\n", "| Selected tables | 1 (57.2 MiB) | |",
        "| Write-ahead log per minute | 3.0 MiB |", "| Growth during the sample | 500.0 KiB (29.3 MiB per hour) |",
        "| public.orders | 12 | 340 | 250 | 40 | 10 | 300.0 | 57.2 MiB | 250.0 KiB |",
        "3 quieter table(s) not listed", "| `INSERT INTO orders VALUES ($1, $2) \\| x` | 250 | 81.5 | 0.33 | 250 |",
        "| Write freeze | 45000 ms (bound: cutover.maxFreeze = 30000 ms; EXCEEDS) |", "| Basis | rehearsal r1 |",
        "| PostgreSQL JDBC Driver | shop_app | 10.0.0.7 | TLSv1.3 | 4 | NO | create role shop_app on the target |",
        "- every `0 2 * * SAT` for 2h (UTC)", "Next window that fits the forecast: 2026-11-28T02:00:00Z to",
        "- **WARNING** public.events: add a primary key", "- **WARNING** cutover.maxFreeze: raise maxFreeze")) {
      assertTrue(md.contains(line), "lacks '" + line + "':\n" + md);
    }
    assertTrue(!md.contains("subscriptionAuth"), "INFO findings stay in the assessment's JSON:\n" + md);
  }
}
