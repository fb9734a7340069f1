-- One row per chunk of a table the copy committed, in the chunk's own transaction: a retried
-- copy skips exactly the chunks recorded here under the same snapshot.
-- IF NOT EXISTS: a target bookkept before these migrations has the table already; it is baselined
-- at version 0 and comes through here with its rows.
CREATE TABLE IF NOT EXISTS phaseshift.copy_chunk (
  migration text NOT NULL,
  table_name text NOT NULL,
  chunk int NOT NULL,
  snapshot text NOT NULL,
  rows bigint NOT NULL,
  bytes bigint NOT NULL,
  copied_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (migration, table_name, chunk)
);
