-- Verify inserts a row here to prove the target takes writes after the switchover.
CREATE TABLE IF NOT EXISTS phaseshift.verify_write (
  at timestamptz NOT NULL DEFAULT now()
);
