-- The tables of each copy batch of a schema too large for the workflow to carry its catalog
-- (100,000 tables): the workflow passes batch numbers, the copy activity reads its tables here.
-- One row per table, in the order the batch copies them; planned anew (delete and insert) when
-- the planning step is retried.
CREATE TABLE IF NOT EXISTS phaseshift.copy_batch_table (
  migration text NOT NULL,
  batch int NOT NULL,
  ordinal int NOT NULL,
  schema_name text NOT NULL,
  table_name text NOT NULL,
  bytes bigint NOT NULL,
  estimated_rows bigint NOT NULL,
  has_primary_key boolean NOT NULL,
  replica_identity text NOT NULL,
  unlogged boolean NOT NULL,
  PRIMARY KEY (migration, batch, ordinal)
);
