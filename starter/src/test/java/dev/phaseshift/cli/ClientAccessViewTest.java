package dev.phaseshift.cli;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.phaseshift.model.ClientAccess;
import dev.phaseshift.model.ClientAdmission;
import dev.phaseshift.model.ClientSeen;
import dev.phaseshift.model.MigrationReport;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** What the approver reads about the clients in `status` and in the report. */
class ClientAccessViewTest {
  static final String FIX = "no pg_hba rule on the target admits app@shop from 10.0.0.7 (billing, no TLS);"
      + " add to the target's pg_hba.conf: host shop app 10.0.0.7/32 scram-sha-256 and reload it (SELECT pg_reload_conf())";
  static final String T = "2026-12-01T10:00:00Z";
  static final ClientAccess ACCESS = new ClientAccess(List.of(
      new ClientAdmission(new ClientSeen("app", "shop", "10.0.0.7", "billing", false, T, T, 4, 3), false, false, FIX),
      new ClientAdmission(new ClientSeen("app", "shop", "10.0.0.8", "web", true, T, T, 9, 12), true, false,
          "admitted by pg_hba.conf line 3 (hostssl all all 10.0.0.0/255.255.255.0 scram-sha-256)"),
      new ClientAdmission(new ClientSeen("cron", "shop", "10.0.9.1", "", false, T, T, 1, 1), true, true,
          "retired: the old cron host goes")), 0, List.of(FIX), 0, T);

  @Test
  void statusListsEveryClientAndTheLineToAddForTheRefusedOne() {
    String text = ClientAccessView.lines(ACCESS);
    assertTrue(text.contains("client access: 1 access blocker(s) on the target"), text);
    assertTrue(text.contains("REFUSED  app@shop from 10.0.0.7 (billing, no TLS), up to 3 session(s)"), text);
    assertTrue(text.contains("host shop app 10.0.0.7/32 scram-sha-256"), text);
    assertTrue(text.contains("admitted app@shop from 10.0.0.8 (web, TLS)"), text);
    assertTrue(text.contains("retired  cron@shop from 10.0.9.1 (no TLS)"), text);
    // The fix appears once, with its client, not again as a separate to-do.
    assertFalse(text.contains("to do on the target"), text);
  }

  @Test
  void theReportHasAClientAccessSection() {
    MigrationReport r = new MigrationReport("shop", "FAILED", null, "x", null, List.of(), 0, null, null, null,
        List.of(), List.of(), List.of(), List.of(), null, null, null, ACCESS);
    String md = ReportMarkdown.render(r, Optional.empty());
    assertTrue(md.contains("## Client access"), md);
    assertTrue(md.contains("| app@shop from 10.0.0.7 (billing, no TLS) | 3 |"), md);
    assertTrue(md.contains("**refused**: no pg_hba rule on the target admits"), md);
    assertTrue(md.contains("- " + FIX), md);
  }

  @Test
  void aClientTheWorkerCannotDecideIsShownUndecidedNotAdmittedAndDoesNotBlock() {
    String undecided = ClientAdmission.UNDECIDED + "pg_hba.conf line 3 (host shop app samenet scram-sha-256) uses samenet,"
        + " which depends on the subnets of the target host's interfaces, which the worker cannot list; to have it"
        + " checked, add above that line: host shop app 10.0.0.9/32 scram-sha-256";
    ClientAccess access = new ClientAccess(List.of(new ClientAdmission(
        new ClientSeen("app", "shop", "10.0.0.9", "batch", false, T, T, 1, 1), false, false, undecided)), 0, List.of(), 0, T);
    assertFalse(access.blocked());
    assertTrue(access.summary().startsWith("1 client(s) seen on the source, 1 of them not decidable from the worker"),
        access.summary());
    String text = ClientAccessView.lines(access);
    assertTrue(text.contains("UNDECIDED app@shop from 10.0.0.9 (batch, no TLS)"), text);
    assertTrue(text.contains("uses samenet"), text);
    String md = ReportMarkdown.render(new MigrationReport("shop", "COMPLETED", null, null, null, List.of(), 0, null,
        null, null, List.of(), List.of(), List.of(), List.of(), null, null, null, access), Optional.empty());
    assertTrue(md.contains("**undecided**: cannot decide: pg_hba.conf line 3"), md);
  }
}
