-- The write freeze's marker: a row the freeze inserts on the side that loses writes, inside the
-- freeze, after the application's sessions are gone. The table is part of the migration's
-- publication on both sides (FreezeMarker), so once the other side shows the row it has applied
-- every commit before it. The definition must match FreezeMarker.CREATE_TABLE, which makes the
-- same table on the source (whose phaseshift schema is not versioned).
CREATE TABLE IF NOT EXISTS phaseshift.freeze_marker (
  token text PRIMARY KEY,
  migration text NOT NULL,
  written_at timestamptz NOT NULL DEFAULT now()
);
