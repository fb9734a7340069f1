-- Written in the transaction that hands writes to the target (switchover) or back to the source
-- (rollback), so a retried switch finds it and returns what happened instead of freezing again.
CREATE TABLE IF NOT EXISTS phaseshift.switchover (
  migration text PRIMARY KEY,
  write_freeze_millis bigint NOT NULL,
  final_lsn text NOT NULL,
  sequences_copied int NOT NULL,
  sessions_terminated int NOT NULL,
  source_writes bigint NOT NULL,
  switched_at timestamptz NOT NULL DEFAULT now()
);

-- write_pause_millis and completed_at stay empty until the source takes writes again.
CREATE TABLE IF NOT EXISTS phaseshift.rollback (
  migration text PRIMARY KEY,
  final_lsn text NOT NULL,
  sequences_copied int NOT NULL,
  frozen_at_millis bigint NOT NULL,
  write_pause_millis bigint,
  completed_at timestamptz
);
