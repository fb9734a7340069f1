package dev.phaseshift.engine;

import dev.phaseshift.plan.SecretRef;
import dev.phaseshift.workflow.FailureTypes;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Resolves a plan's secret references on the worker, at the moment a connection needs them. */
public final class Secrets {
  private Secrets() {}

  /** @return the secret, or {@code null} when the reference is absent (no password needed) */
  public static String resolve(String field, SecretRef ref) {
    if (ref == null) return null;
    if (ref.env() != null && !ref.env().isBlank()) {
      String value = System.getenv(ref.env());
      if (value == null) {
        throw new MigrationException(FailureTypes.PREREQUISITE,
            field + ".password: environment variable " + ref.env()
                + " is not set on the worker; export it before starting the worker");
      }
      return value;
    }
    if (ref.file() != null && !ref.file().isBlank()) {
      try {
        return Files.readString(Path.of(ref.file())).stripTrailing();
      } catch (IOException e) {
        throw new MigrationException(FailureTypes.PREREQUISITE,
            field + ".password: cannot read file " + ref.file() + " on the worker ("
                + e.getClass().getSimpleName() + "); check the path and its permissions");
      }
    }
    return null;
  }
}
