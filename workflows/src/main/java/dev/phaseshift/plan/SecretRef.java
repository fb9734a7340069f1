package dev.phaseshift.plan;

/**
 * Where a secret lives. The plan never carries the secret itself, because the plan is the
 * workflow input and so ends up in Temporal's history and Web UI; only the worker that needs the
 * secret reads it, at the moment it connects.
 *
 * @param env  name of an environment variable on the worker
 * @param file path of a file on the worker whose content (trailing newline stripped) is the secret
 */
public record SecretRef(String env, String file) {
  public static SecretRef ofEnv(String name) {
    return new SecretRef(name, null);
  }

  public static SecretRef ofFile(String path) {
    return new SecretRef(null, path);
  }

  /** Describes the reference without revealing anything, for messages. */
  public String describe() {
    if (env != null) return "environment variable " + env;
    if (file != null) return "file " + file;
    return "nothing";
  }
}
