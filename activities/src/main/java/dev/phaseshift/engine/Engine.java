package dev.phaseshift.engine;

/**
 * A database engine Phaseshift can migrate. Workflows only see the engine id; everything
 * engine-specific sits behind these parts.
 */
public interface Engine {
  /** The JDBC sub-protocol this engine serves, e.g. {@code postgresql}. */
  String id();

  Inspector inspector();

  SchemaCopier schemaCopier();

  ChangeStream changeStream();

  BulkCopier bulkCopier();

  Validator validator();

  Cutover cutover();

  /** Reads for the verification window after the switchover. */
  VerificationProbe verificationProbe();

  /** OPTIMIZE's advice on the new primary. */
  OptimizationAdvisor optimizationAdvisor();

  /** The target's first copy made from the source's files ({@code seeding.method: physical}). */
  PhysicalSeeding physicalSeeding();
}
