package dev.phaseshift.activities;

import dev.phaseshift.workflow.DriftCheckWorkflow;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.temporal.client.WorkflowClient;
import io.temporal.client.schedules.ScheduleClient;
import io.temporal.client.schedules.ScheduleClientOptions;
import io.temporal.client.schedules.ScheduleException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Pauses a migration's drift check schedule once the migration has ended: its streams are gone, so
 * every further run could only fail. Paused rather than deleted, so its recent runs stay readable
 * and the note on the schedule says why.
 */
final class DriftCheckSchedules {
  private static final Logger log = LoggerFactory.getLogger(DriftCheckSchedules.class);

  private final WorkflowClient client;

  DriftCheckSchedules(WorkflowClient client) {
    this.client = client;
  }

  void pause(String migration, String note) {
    String id = DriftCheckWorkflow.scheduleId(migration);
    ScheduleClient schedules = ScheduleClient.newInstance(client.getWorkflowServiceStubs(),
        ScheduleClientOptions.newBuilder().setNamespace(client.getOptions().getNamespace()).build());
    try {
      schedules.getHandle(id).pause(note);
      log.info("paused drift check schedule {}: {}", id, note);
    } catch (ScheduleException | StatusRuntimeException e) {
      Status.Code code = Status.fromThrowable(e).getCode();
      // No such schedule (none was created), or a server without schedules (Temporal's test server).
      if (code == Status.Code.NOT_FOUND || code == Status.Code.UNIMPLEMENTED) return;
      throw e;
    }
  }
}
