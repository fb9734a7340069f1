-- Roles the migration created on the target. password_from_source says whether the role's password
-- verifier (or its having none) came from the source; a LOGIN role created without it has no
-- password until someone sets one, and the switchover waits for that.
CREATE TABLE IF NOT EXISTS phaseshift.created_roles (
  role_name text PRIMARY KEY,
  password_from_source boolean NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
