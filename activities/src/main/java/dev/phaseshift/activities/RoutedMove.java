package dev.phaseshift.activities;

import dev.phaseshift.plan.MigrationPlan;
import dev.phaseshift.router.Router;
import java.util.function.Function;

/**
 * Holds traffic at the router around a database switch, so clients wait instead of failing, and
 * releases it towards whichever side holds the writes afterwards: {@code to} on success, the other
 * side if the switch failed. The switch is handed the hold to run itself, as late as it can (right
 * before it freezes writes), so clients wait only for the freeze and not for its preparation.
 */
public final class RoutedMove {
  /**
   * The move's result and when each step ended, as {@link System#nanoTime()} values.
   *
   * @param heldAt     when clients began to wait (PAUSE sent); 0 when the move never held them,
   *                   e.g. a retried switchover that found itself already done
   * @param holdDoneAt when the hold returned (PAUSE's wait for running transactions included); 0 as above
   */
  public record Timed<T>(T result, long startedAt, long heldAt, long holdDoneAt, long movedAt, long releasedAt) {
    /** How long clients were held: from the hold (or, without one, the release) to the release's end. */
    public long heldMillis() {
      return (releasedAt - (heldAt != 0 ? heldAt : movedAt)) / 1_000_000;
    }
  }

  private RoutedMove() {}

  /**
   * @param move the switch; it receives the hold and must run it before touching writes (running
   *             it twice holds once)
   */
  public static <T> Timed<T> run(Router router, MigrationPlan plan, Router.Side to, Function<Runnable, T> move) {
    long started = System.nanoTime();
    long[] held = {0, 0};
    Runnable hold = () -> {
      if (held[0] != 0) return;
      held[0] = router.hold(plan);
      held[1] = System.nanoTime();
    };
    T result;
    try {
      result = move.apply(hold);
    } catch (RuntimeException e) {
      // Release also when hold never ran or failed half-way: it is idempotent, and a PAUSE whose
      // answer was lost must not stay in place.
      router.release(plan, to.opposite());
      throw e;
    }
    long moved = System.nanoTime();
    router.release(plan, to);
    return new Timed<>(result, started, held[0], held[1], moved, System.nanoTime());
  }
}
