#!/usr/bin/env bash
# What pg_createsubscriber's physical seeding does besides copying (issue 15, goal 5): on a small
# PostgreSQL 18 cluster it fails one conversion on purpose and shows what it left behind, then
# converts and prints what the subscriber and the source look like. Untimed; prints one line per
# observation. See docs/physical-seeding.md.
#
#   bench/physical-limits.sh [--dir /var/tmp/phaseshift-physical-limits] [--ports 25502,25503]
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
dir=/var/tmp/phaseshift-physical-limits
ports=25502,25503
while [ $# -gt 0 ]; do
  case "$1" in
    --dir) dir="$2"; shift 2 ;;
    --ports) ports="$2"; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
IFS=, read -r src_port sub_port <<<"$ports"

. "$here/lib.sh"
prepare_dir
locate_pg18
export PATH="$bin:$PATH"

# A fresh source every time: the observations depend on what exists before the copy.
stop_server source || true
stop_server subscriber || true
rm -rf "$dir/source" "$dir/subscriber"
trap 'stop_server subscriber || true; stop_server source || true' EXIT
start_server source "$src_port"
S=(-h 127.0.0.1 -p "$src_port" -U postgres)
R=(-h 127.0.0.1 -p "$sub_port" -U postgres)
on() { local where="$1" db="$2"; shift 2; psql -X -q -v ON_ERROR_STOP=1 "${!where}" -d "$db" -Atc "$@"; }
S_ARGS='S[@]'
R_ARGS='R[@]'
say() { printf '%s\n' "$*"; }

on "$S_ARGS" postgres "CREATE ROLE app_owner LOGIN PASSWORD 'only-on-the-source'" \
  -c "CREATE DATABASE bench OWNER app_owner" -c "CREATE DATABASE other" >/dev/null
on "$S_ARGS" bench "CREATE TABLE keyed (id bigserial PRIMARY KEY, v int)" -c "CREATE TABLE nokey (v int)" \
  -c "INSERT INTO keyed (v) SELECT g FROM generate_series(1, 1000) g" -c "INSERT INTO nokey VALUES (1)"
on "$S_ARGS" other "CREATE TABLE t (id int PRIMARY KEY)" -c "INSERT INTO t VALUES (1)"
on "$S_ARGS" postgres "CREATE TABLE admin_only (id int PRIMARY KEY)" -c "INSERT INTO admin_only VALUES (1)"

backup() {
  rm -rf "$dir/subscriber"
  "${as_pg[@]}" "$bin/pg_basebackup" "${S[@]}" -D "$dir/subscriber" -X stream -c fast -R
  echo "port = $sub_port" >>"$dir/subscriber/postgresql.conf"
}
convert() {
  "${as_pg[@]}" "$bin/pg_createsubscriber" -D "$dir/subscriber" -U postgres -p "$sub_port" -s "$dir" \
    -P "host=127.0.0.1 port=$src_port user=postgres dbname=postgres" \
    -d bench -d other --publication pub_bench --publication pub_other \
    --replication-slot slot_bench --replication-slot slot_other --subscription sub_bench --subscription sub_other "$@"
}
source_objects() {
  say "  source slots: $(on "$S_ARGS" postgres "SELECT coalesce(string_agg(slot_name || ' (' || database || ')', ', '), 'none') FROM pg_replication_slots")"
  say "  source publications: bench $(on "$S_ARGS" bench "SELECT coalesce(string_agg(pubname, ', '), 'none') FROM pg_publication"), other $(on "$S_ARGS" other "SELECT coalesce(string_agg(pubname, ', '), 'none') FROM pg_publication")"
}

say "== 1. a conversion that fails half-way (a publication of the same name already exists in 'other')"
on "$S_ARGS" other "CREATE PUBLICATION pub_other FOR TABLE t" >/dev/null
backup
if convert -v >"$dir/failed.log" 2>&1; then say "  unexpected: it succeeded"; else say "  pg_createsubscriber exit $?; its steps:"; fi
grep -E '^pg_createsubscriber: (creating|create|drop|error|hint|.*replication slot|.*publication)' "$dir/failed.log" | sed 's/^/    /' || true
source_objects
say "  copy: $( [ -f "$dir/subscriber/standby.signal" ] && echo 'still a standby (standby.signal present)' || echo 'no longer a standby')," \
  "$( [ -f "$dir/subscriber/postmaster.pid" ] && echo 'left running' || echo 'stopped')"
on "$S_ARGS" other "DROP PUBLICATION pub_other" >/dev/null

say "== 2. the conversion of databases bench and other"
backup
convert >"$dir/converted.log" 2>&1 || { echo "pg_createsubscriber failed; see $dir/converted.log" >&2; exit 1; }
"${as_pg[@]}" "$bin/pg_ctl" -D "$dir/subscriber" -l "$dir/subscriber.log" -w start >/dev/null
source_objects
say "  system identifier: source $(on "$S_ARGS" postgres "SELECT system_identifier FROM pg_control_system()"), subscriber $(on "$R_ARGS" postgres "SELECT system_identifier FROM pg_control_system()")"
say "  subscriber's subscriptions: $(on "$R_ARGS" bench "SELECT string_agg(format('%s (db %s, slot %s, enabled %s, origin %s, conninfo \"%s\")', subname, d.datname, subslotname, subenabled, suborigin, subconninfo), '; ') FROM pg_subscription s JOIN pg_database d ON d.oid = s.subdbid")"
say "  subscriber's publications left in bench: $(on "$R_ARGS" bench "SELECT coalesce(string_agg(pubname, ', '), 'none') FROM pg_publication")"
say "  subscriber's primary_conninfo: '$(on "$R_ARGS" postgres "SHOW primary_conninfo")'"
say "  roles copied: $(on "$R_ARGS" postgres "SELECT string_agg(rolname, ', ') FROM pg_roles WHERE rolname !~ '^pg_'");" \
  "app_owner's password hash equal to the source's: $(
    [ "$(on "$S_ARGS" postgres "SELECT rolpassword FROM pg_authid WHERE rolname = 'app_owner'")" = \
      "$(on "$R_ARGS" postgres "SELECT rolpassword FROM pg_authid WHERE rolname = 'app_owner'")" ] && echo yes || echo no)"
say "  databases on the subscriber: $(on "$R_ARGS" postgres "SELECT string_agg(datname, ', ' ORDER BY datname) FROM pg_database")"

on "$S_ARGS" bench "INSERT INTO keyed (v) VALUES (1001)" >/dev/null
on "$S_ARGS" other "INSERT INTO t VALUES (2)" >/dev/null
on "$S_ARGS" postgres "INSERT INTO admin_only VALUES (2)" >/dev/null
sleep 3
say "  after one insert each on the source: bench.keyed $(on "$R_ARGS" bench "SELECT count(*) FROM keyed")/1001," \
  "other.t $(on "$R_ARGS" other "SELECT count(*) FROM t")/2, postgres.admin_only (not converted) $(on "$R_ARGS" postgres "SELECT count(*) FROM admin_only")/2"
say "  sequence keyed_id_seq: source $(on "$S_ARGS" bench "SELECT last_value FROM keyed_id_seq"), subscriber $(on "$R_ARGS" bench "SELECT last_value FROM keyed_id_seq")"
say "  UPDATE of a table without key on the source: $(on "$S_ARGS" bench "UPDATE nokey SET v = 2" 2>&1 | head -1 || true)"
on "$S_ARGS" bench "CREATE TABLE added_later (id int PRIMARY KEY)" -c "INSERT INTO added_later VALUES (1)" >/dev/null
say "  a table created on the source afterwards, on the subscriber: $(on "$R_ARGS" bench "SELECT coalesce(to_regclass('added_later')::text, 'absent')")"

say "== 3. after DROP SUBSCRIPTION on the subscriber"
on "$R_ARGS" bench "DROP SUBSCRIPTION sub_bench" >/dev/null 2>&1
on "$R_ARGS" other "DROP SUBSCRIPTION sub_other" >/dev/null 2>&1
source_objects

# Another major version: PostgreSQL 18's pg_basebackup copies an older server, but the copy can only
# be converted (and run) by that server's own version, and pg_createsubscriber exists from 17 on.
old=/usr/lib/postgresql/15/bin
if [ -x "$old/initdb" ]; then
  say "== 4. a PostgreSQL 15 source, converted with PostgreSQL 18's tools"
  stop_server subscriber || true
  stop_server source || true
  rm -rf "$dir/source" "$dir/subscriber"
  pg18="$bin"
  bin="$old" start_server source "$src_port"
  backup
  say "  copy's PG_VERSION: $(cat "$dir/subscriber/PG_VERSION")"
  say "  pg_createsubscriber: $( { "${as_pg[@]}" "$bin/pg_createsubscriber" -D "$dir/subscriber" -U postgres -p "$sub_port" -s "$dir" \
    -P "host=127.0.0.1 port=$src_port user=postgres dbname=postgres" -d postgres 2>&1 || true; } | grep -m1 '^pg_createsubscriber: error' || true)"
  bin="$old" stop_server source
  bin="$pg18"
fi
