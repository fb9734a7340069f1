-- Second exports of a copy's snapshot, held by another worker than the one that exported it: when
-- the exporting worker dies, copies import a replica instead and the copy goes on.
CREATE TABLE IF NOT EXISTS phaseshift.snapshot_replica (
  migration text NOT NULL,
  snapshot text NOT NULL,
  replica text NOT NULL,
  held_since timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (migration, snapshot, replica)
);
