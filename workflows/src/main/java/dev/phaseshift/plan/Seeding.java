package dev.phaseshift.plan;

import com.fasterxml.jackson.annotation.JsonIgnore;

/**
 * How the target gets its first copy of the data.
 *
 * <p>{@value #LOGICAL} (default): Phaseshift creates the tables on an existing target server,
 * copies every row with COPY under the change stream's snapshot and builds the indexes there.
 * {@value #PHYSICAL}: for a move between servers of the same major version (17 or later),
 * {@code pg_basebackup} copies the source's whole cluster into a new data directory on the target
 * host and {@code pg_createsubscriber} turns that copy into a logical subscriber of the source: no
 * row is copied one by one and no index is built. The whole cluster moves (every database, role and
 * setting), so the target is a new server Phaseshift creates and starts, not an existing one.
 *
 * @param method        {@value #LOGICAL} or {@value #PHYSICAL}
 * @param dataDirectory with {@value #PHYSICAL}: the new server's data directory on the target host,
 *                      absent or empty; the target endpoint's port is the port it will listen on
 * @param taskQueue     with {@value #PHYSICAL}: the queue served only by a worker on the target host,
 *                      running as the data directory's operating-system user (default
 *                      {@code <worker queue>-seeding}); that worker runs the tools
 * @param binDirectory  with {@value #PHYSICAL}: where that worker finds {@code pg_basebackup},
 *                      {@code pg_createsubscriber} and {@code pg_ctl} of the source's major version
 *                      (default: the ones the worker finds itself, as for every other tool)
 */
public record Seeding(String method, String dataDirectory, String taskQueue, String binDirectory) {
  public static final String LOGICAL = "logical";
  public static final String PHYSICAL = "physical";

  public static Seeding logical() {
    return new Seeding(LOGICAL, null, null, null);
  }

  @JsonIgnore
  public String methodOrDefault() {
    return method == null ? LOGICAL : method;
  }

  @JsonIgnore
  public boolean physical() {
    return PHYSICAL.equals(methodOrDefault());
  }
}
