package dev.phaseshift.testing;

import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.function.Supplier;

/** Polls until a condition holds, for tests that watch a migration run on a real server. */
public final class Eventually {
  private Eventually() {}

  /** Probes every 300 ms for up to two minutes; a probe that throws has just not got there yet. */
  public static <T> T await(String what, Supplier<T> probe, Predicate<T> done) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
    T last = null;
    while (System.nanoTime() < deadline) {
      try {
        last = probe.get();
        if (done.test(last)) return last;
      } catch (RuntimeException notYet) {
        // the first workflow task may not have run yet
      }
      Thread.sleep(300);
    }
    throw new AssertionError("timed out waiting for " + what + "; last: " + last);
  }
}
