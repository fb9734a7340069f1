package dev.phaseshift.cli;

/** Migration names as operators type them, checked before anything is sent to Temporal. */
final class Names {
  private Names() {}

  static String workflowId(String name) {
    if (name == null || !name.matches("[a-z0-9][a-z0-9_-]{0,40}")) {
      throw new CliException(ExitCodes.BAD_INPUT, "'" + name + "' is not a migration name: 1-41 lower-case"
          + " letters, digits, '-' or '_' (the plan's name; see phaseshift list)");
    }
    return "migration-" + name;
  }
}
