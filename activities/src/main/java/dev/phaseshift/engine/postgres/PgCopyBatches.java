package dev.phaseshift.engine.postgres;

import dev.phaseshift.engine.MigrationException;
import dev.phaseshift.model.CopyBatch;
import dev.phaseshift.model.TableInfo;
import dev.phaseshift.plan.MigrationPlan;
import dev.phaseshift.workflow.CopyBatching;
import dev.phaseshift.workflow.FailureTypes;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;

/**
 * Copy batches kept on the target instead of in the workflow: a schema of 100,000 tables has a
 * catalog of several megabytes, past Temporal's 2 MB payload limit, so the workflow holds batch
 * numbers and the copy activity reads each batch's tables from the target's bookkeeping.
 */
final class PgCopyBatches {
  static final String TABLES = Sql.qualified(PgNames.BOOKKEEPING_SCHEMA, "copy_batch_table");
  /** Rows per INSERT round trip while storing. */
  private static final int INSERT_BATCH = 1000;

  private PgCopyBatches() {}

  /**
   * Reads the selected tables from the source, batches them as the workflow would and stores
   * every batch of more than one table on the target, replacing what an earlier attempt stored.
   */
  static List<CopyBatch> plan(MigrationPlan plan) {
    try (PgSessionPair sides = PgSessionPair.open(plan)) {
      List<TableInfo> tables = sides.source().call("listing tables", c -> PgInventory.selectedTables(c, plan));
      List<CopyBatch> batches = CopyBatching.batches(CopyBatching.largestFirst(tables), plan.copyParallelism());
      return sides.target().call("storing the copy's batches", c -> {
        PgBookkeepingSchema.ensure(PgEndpoint.target(plan), c);
        return Sql.inTransaction(c, () -> store(c, plan, batches));
      });
    }
  }

  private static List<CopyBatch> store(Connection target, MigrationPlan plan, List<CopyBatch> batches)
      throws SQLException {
    try (PreparedStatement ps = target.prepareStatement("DELETE FROM " + TABLES + " WHERE migration = ?")) {
      ps.setString(1, plan.name());
      ps.executeUpdate();
    }
    List<CopyBatch> references = new ArrayList<>(batches.size());
    try (PreparedStatement ps = target.prepareStatement("INSERT INTO " + TABLES + " (migration, batch, ordinal,"
        + " schema_name, table_name, bytes, estimated_rows, has_primary_key, replica_identity, unlogged)"
        + " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")) {
      int pending = 0;
      for (int b = 0; b < batches.size(); b++) {
        CopyBatch batch = batches.get(b);
        if (batch.tables().size() == 1) {
          references.add(batch);
          continue;
        }
        int number = b + 1;
        for (int i = 0; i < batch.tables().size(); i++) {
          TableInfo t = batch.tables().get(i);
          ps.setString(1, plan.name());
          ps.setInt(2, number);
          ps.setInt(3, i);
          ps.setString(4, t.schema());
          ps.setString(5, t.name());
          ps.setLong(6, t.bytes());
          ps.setLong(7, t.estimatedRows());
          ps.setBoolean(8, t.hasPrimaryKey());
          ps.setString(9, t.replicaIdentity() == null ? "default" : t.replicaIdentity());
          ps.setBoolean(10, t.unlogged());
          ps.addBatch();
          if (++pending == INSERT_BATCH) {
            ps.executeBatch();
            pending = 0;
          }
        }
        references.add(new CopyBatch(batch.label(), List.of(),
            new CopyBatch.Stored(number, batch.tables().size(), batch.bytes())));
      }
      if (pending > 0) ps.executeBatch();
    }
    return references;
  }

  /** The tables of a stored batch, in the order they were planned; a batch's own tables otherwise. */
  static List<TableInfo> tables(Connection target, MigrationPlan plan, CopyBatch batch) throws SQLException {
    if (batch.stored() == null) return batch.tables();
    List<TableInfo> tables = Sql.query(target, "SELECT schema_name, table_name, bytes, estimated_rows, has_primary_key,"
        + " replica_identity, unlogged FROM " + TABLES + " WHERE migration = ? AND batch = ? ORDER BY ordinal",
        rs -> new TableInfo(rs.getString(1), rs.getString(2), rs.getLong(3), rs.getLong(4), rs.getBoolean(5),
            rs.getString(6), rs.getBoolean(7)),
        plan.name(), batch.stored().number());
    if (tables.size() != batch.stored().tables()) {
      // The target's bookkeeping was dropped or replanned under a running copy: nothing to copy by.
      throw new MigrationException(FailureTypes.PREREQUISITE, "copy batch " + batch.stored().number() + " of "
          + plan.name() + " has " + tables.size() + " of its " + batch.stored().tables() + " tables in " + TABLES
          + " on " + PgEndpoint.target(plan) + "; abort the migration and start it again");
    }
    return tables;
  }
}
