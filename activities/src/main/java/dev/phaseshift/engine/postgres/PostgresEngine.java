package dev.phaseshift.engine.postgres;

import dev.phaseshift.engine.BulkCopier;
import dev.phaseshift.engine.ChangeStream;
import dev.phaseshift.engine.Cutover;
import dev.phaseshift.engine.Engine;
import dev.phaseshift.engine.Inspector;
import dev.phaseshift.engine.OptimizationAdvisor;
import dev.phaseshift.engine.PhysicalSeeding;
import dev.phaseshift.engine.SchemaCopier;
import dev.phaseshift.engine.Validator;
import dev.phaseshift.engine.VerificationProbe;

/** PostgreSQL to PostgreSQL: pg_dump for the schema, binary COPY, native logical replication. */
public final class PostgresEngine implements Engine {
  private final PgTools tools = PgTools.detect();
  private final SnapshotHolder snapshots = new SnapshotHolder();

  @Override
  public String id() {
    return "postgresql";
  }

  @Override
  public Inspector inspector() {
    return new PgInspector(tools);
  }

  @Override
  public SchemaCopier schemaCopier() {
    return new PgSchemaCopier(tools);
  }

  @Override
  public ChangeStream changeStream() {
    return new PgChangeStream(snapshots);
  }

  @Override
  public BulkCopier bulkCopier() {
    return new PgBulkCopier(snapshots);
  }

  @Override
  public Validator validator() {
    return new PgValidator(tools);
  }

  @Override
  public Cutover cutover() {
    return new PgCutover(tools);
  }

  @Override
  public VerificationProbe verificationProbe() {
    return new PgVerificationProbe();
  }

  @Override
  public OptimizationAdvisor optimizationAdvisor() {
    return new PgOptimizationAdvice();
  }

  @Override
  public PhysicalSeeding physicalSeeding() {
    return new PgPhysicalSeeding(tools);
  }
}
