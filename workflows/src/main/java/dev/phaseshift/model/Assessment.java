package dev.phaseshift.model;

import java.util.List;

/** The PREPARE phase's picture of source and target. */
public record Assessment(
    ServerInfo source,
    ServerInfo target,
    List<TableInfo> tables,
    List<String> sequences,
    List<ClientConnection> clients,
    List<Finding> findings) {

  public List<Finding> blockers() {
    return findings.stream().filter(f -> f.severity() == Severity.BLOCKER).toList();
  }

  public long totalBytes() {
    return tables.stream().mapToLong(TableInfo::bytes).sum();
  }
}
