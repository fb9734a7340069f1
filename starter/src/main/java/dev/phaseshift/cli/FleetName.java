package dev.phaseshift.cli;

import picocli.CommandLine.Parameters;

/** The fleet a command is about, as its first argument; checked before anything is sent to Temporal. */
final class FleetName {
  @Parameters(index = "0", paramLabel = "FLEET", description = "fleet name (the fleet plan's name)")
  String name;

  String workflowId() {
    return FleetFiles.workflowId(name);
  }
}
