package dev.phaseshift.workflow;

import dev.phaseshift.model.ChildProgress;
import io.temporal.activity.ActivityInterface;
import io.temporal.activity.ActivityMethod;
import java.util.List;

/** What a fleet asks outside its own history: its running migrations' status. */
@ActivityInterface
public interface FleetActivities {
  /**
   * Reads each migration's workflow (open or closed, phase) and, while it runs, its status query
   * (lag, freeze, what it waits for). One call for every running migration keeps the fleet's
   * history at a few events per reading, however many databases move.
   */
  @ActivityMethod(name = "FleetProgress")
  List<ChildProgress> progress(List<String> workflowIds);
}
