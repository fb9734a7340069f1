package dev.phaseshift.workflow;

import dev.phaseshift.model.Assessment;
import dev.phaseshift.model.CopyBatch;
import java.util.List;

/**
 * The copy activities of a migration. Where the assessment carries every table, the workflow
 * batches them itself ({@link CopyBatching}). A schema beyond {@link Assessment#CATALOGED_TABLES}
 * (100,000 tables of a schema per tenant) is too large for its catalog to travel in Temporal's
 * payloads: an activity reads the tables from the source, batches them the same way, keeps each
 * batch's tables on the target and returns references, a few dozen bytes a batch.
 */
final class CopyPlanning {
  private CopyPlanning() {}

  static List<CopyBatch> batches(RunContext run) {
    Assessment assessment = run.state.assessment;
    int parallelism = run.state.plan.copyParallelism();
    if (assessment.carriesAllTables()) {
      return CopyBatching.batches(CopyBatching.largestFirst(assessment.allTables()), parallelism);
    }
    run.show("planning the copy of " + assessment.tableCount() + " tables");
    List<CopyBatch> batches = run.step("plan the copy's batches").planCopyBatches(run.state.plan);
    run.show("copying tables");
    return batches;
  }
}
