package dev.phaseshift.workflow;

import io.temporal.failure.TemporalFailure;
import io.temporal.workflow.Functions;
import java.util.ArrayList;
import java.util.List;

/**
 * The undo of every forward step taken so far, registered before the step runs and run newest
 * first when the migration fails or is aborted before its switchover.
 *
 * <p>Temporal's {@code Saga} runs every compensation with {@code continueWithError}, but then keeps
 * their failures to itself: a run whose undo failed would still report the source as it was. Here
 * every undo runs whatever the earlier ones did, and each failure is returned, so the run's error
 * says what is left on the servers.
 */
final class UndoSteps {
  private final List<Runnable> steps = new ArrayList<>();

  /** Registers the undo of the step about to run. */
  <A> void add(Functions.Proc1<A> undo, A arg) {
    steps.add(() -> undo.apply(arg));
  }

  /** Runs every registered undo, newest first; the failures, described, in the order they happened. */
  List<String> runAll() {
    List<String> failures = new ArrayList<>();
    for (int i = steps.size() - 1; i >= 0; i--) {
      try {
        steps.get(i).run();
      } catch (TemporalFailure failure) {
        failures.add(Failures.describe(failure));
      }
    }
    steps.clear();
    return failures;
  }
}
