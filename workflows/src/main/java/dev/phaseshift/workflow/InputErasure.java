package dev.phaseshift.workflow;

import java.util.List;

/**
 * What the eraser did: the runs it deleted, the fields that held a secret, and the run started in
 * their place (null when a later run already stood there). Names and ids only.
 */
public record InputErasure(List<String> deletedRunIds, List<String> fields, String standInRunId) {}
