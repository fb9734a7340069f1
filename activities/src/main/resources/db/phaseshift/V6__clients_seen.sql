-- Every kind of client the source showed while it was sampled (lag readings, the access check),
-- merged: the switchover checks that the target admits each one before writes move.
CREATE TABLE IF NOT EXISTS phaseshift.clients_seen (
  migration text NOT NULL,
  user_name text NOT NULL,
  database_name text NOT NULL,
  client_address text NOT NULL,
  application_name text NOT NULL,
  encrypted boolean NOT NULL,
  first_seen timestamptz NOT NULL,
  last_seen timestamptz NOT NULL,
  samples bigint NOT NULL,
  peak_sessions int NOT NULL,
  PRIMARY KEY (migration, user_name, database_name, client_address, application_name, encrypted)
);

-- The most client sessions one sample saw: of the whole source server ('server', ''), of the
-- migrated database ('database', ''), and of each user ('user', name), for connection limits.
CREATE TABLE IF NOT EXISTS phaseshift.client_peaks (
  migration text NOT NULL,
  scope text NOT NULL,
  name text NOT NULL,
  peak_sessions int NOT NULL,
  PRIMARY KEY (migration, scope, name)
);
