#!/usr/bin/env bash
# Write-freeze benchmark: repeated switchovers through PgBouncer while pgbench writes at a fixed
# rate; checks that no committed transaction is lost and reports the freezes. See bench/README.md.
#
#   bench/freeze.sh [--switchovers 20] [--rate 500] [--clients 8] [--threads 2] [--scale 10]
#                   [--duration 720] [--dir /var/tmp/phaseshift-freeze] [--port 55442]
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(dirname "$here")"
switchovers=20
rate=500
clients=8
threads=2
scale=10
duration=720
dir=/var/tmp/phaseshift-freeze
port=55442
while [ $# -gt 0 ]; do
  case "$1" in
    --switchovers) switchovers="$2"; shift 2 ;;
    --rate) rate="$2"; shift 2 ;;
    --clients) clients="$2"; shift 2 ;;
    --threads) threads="$2"; shift 2 ;;
    --scale) scale="$2"; shift 2 ;;
    --duration) duration="$2"; shift 2 ;;
    --dir) dir="$2"; shift 2 ;;
    --port) port="$2"; shift 2 ;;
    *) echo "unknown option $1; see the usage at the top of $0" >&2; exit 2 ;;
  esac
done
for n in "$switchovers" "$rate" "$clients" "$threads" "$scale" "$duration" "$port"; do
  [[ "$n" =~ ^[1-9][0-9]*$ ]] || { echo "options take positive whole numbers, got '$n'" >&2; exit 2; }
done
# Cluster A, cluster B and PgBouncer on three consecutive loopback ports.
a_port=$port
b_port=$((port + 1))
bouncer_port=$((port + 2))


# --- prerequisites --------------------------------------------------------------------------------
need=()
[ -x /usr/lib/postgresql/15/bin/initdb ] || need+=(postgresql-15)
[ -x /usr/lib/postgresql/15/bin/pgbench ] || need+=(postgresql-contrib)
command -v pgbouncer >/dev/null || [ -x /usr/sbin/pgbouncer ] || need+=(pgbouncer)
command -v python3 >/dev/null || need+=(python3)
. "$here/lib.sh"
install_missing "${need[@]}"
export PATH="$bin:$PATH:/usr/sbin"
export LC_MESSAGES=C


# --- two identical servers and a PgBouncer on loopback --------------------------------------------
bouncer_dir="$dir/pgbouncer"
bouncer_ini="$bouncer_dir/pgbouncer.ini"
start_bouncer() {
  mkdir -p "$bouncer_dir"
  echo '"postgres" ""' >"$bouncer_dir/userlist.txt"
  # Written afresh each run: the entry starts at cluster A, where the data is loaded.
  cat >"$bouncer_ini" <<EOF
[databases]
bench = host=127.0.0.1 port=$a_port dbname=bench

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = $bouncer_port
unix_socket_dir =
auth_type = trust
auth_file = $bouncer_dir/userlist.txt
admin_users = postgres
pool_mode = transaction
default_pool_size = 8
max_client_conn = 100
server_login_retry = 1
logfile = $dir/pgbouncer.log
pidfile = $bouncer_dir/pgbouncer.pid
EOF
  [ ${#as_pg[@]} -eq 0 ] || chown -R postgres "$bouncer_dir"
  "${as_pg[@]}" pgbouncer -d "$bouncer_ini"
  for _ in $(seq 50); do
    psql -X -q -h 127.0.0.1 -p "$bouncer_port" -U postgres -d pgbouncer -c "SHOW VERSION" >/dev/null 2>&1 && return
    sleep 0.1
  done
  echo "PgBouncer did not start on 127.0.0.1:$bouncer_port; see $dir/pgbouncer.log" >&2
  exit 1
}
pgbench_pid=""
stop_all() {
  [ -z "$pgbench_pid" ] || kill "$pgbench_pid" 2>/dev/null || true
  [ -f "$bouncer_dir/pgbouncer.pid" ] && kill "$(cat "$bouncer_dir/pgbouncer.pid")" 2>/dev/null || true
  stop_server a || true
  stop_server b || true
}
prepare_dir
trap stop_all EXIT
start_server a "$a_port" "shared_buffers = 256MB" "max_wal_size = 4GB"
start_server b "$b_port" "shared_buffers = 256MB" "max_wal_size = 4GB"

psql_on() { # port database, then psql arguments
  local p=$1 d=$2
  shift 2
  psql -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$p" -U postgres -d "$d" "$@"
}
# What decommissioning would drop, except the reverse publication on the new primary: dropping a
# publication while the application writes to its tables can fail a concurrent write with
# "cache lookup failed for publication" (it did, once in 10, when bench-switchover decommissioned
# right after the switch; see docs/freeze-benchmark.md). The publication goes with its database
# when that side is emptied for the next migration, with no traffic on it.
clean_up() { # old primary port, new primary port
  psql_on "$2" bench -Atc "SELECT subname FROM pg_subscription WHERE subdbid = (SELECT oid FROM pg_database WHERE datname = 'bench')" \
    | while read -r sub; do
        [ -n "$sub" ] || continue
        psql_on "$2" bench -c "ALTER SUBSCRIPTION \"$sub\" DISABLE" -c "ALTER SUBSCRIPTION \"$sub\" SET (slot_name = NONE)" \
          -c "DROP SUBSCRIPTION \"$sub\""
      done
  psql_on "$2" bench -c "SET client_min_messages = warning" -c "DROP SCHEMA IF EXISTS phaseshift CASCADE" \
    -c "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE database = 'bench' AND NOT active" >/dev/null
  # The old primary's slot turns inactive once its walsender has noticed the disabled subscription.
  for _ in $(seq 50); do
    [ "$(psql_on "$1" bench -Atc "SELECT count(*) FROM pg_replication_slots WHERE database = 'bench' AND active")" = 0 ] && break
    sleep 0.1
  done
  psql_on "$1" bench -c "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE database = 'bench' AND NOT active" >/dev/null
}
fresh_database() { # port
  psql_on "$1" postgres -c "DROP DATABASE IF EXISTS bench WITH (FORCE)" -c "CREATE DATABASE bench"
}

# --- data: pgbench tables on A, B empty -----------------------------------------------------------
log "loading pgbench scale $scale on 127.0.0.1:$a_port; 127.0.0.1:$b_port starts empty"
fresh_database "$a_port"
fresh_database "$b_port"
pgbench -i -q -s "$scale" -h 127.0.0.1 -p "$a_port" -U postgres bench >/dev/null 2>&1
# pgbench_history has no key; a migration needs one or REPLICA IDENTITY FULL.
psql_on "$a_port" bench -c "ALTER TABLE pgbench_history REPLICA IDENTITY FULL" -c "VACUUM ANALYZE"
start_bouncer

# --- the Phaseshift CLI ---------------------------------------------------------------------------
# The launcher builds the jars first if the sources changed. The bench commands live in the bench
# module's jar, run directly here with this script's own JVM options.
"$repo/phaseshift" --version >/dev/null
jar="$repo/bench/target/phaseshift-bench.jar"

# --- load through PgBouncer for the whole run ------------------------------------------------------
out="$dir/out"
rm -rf "$out"
mkdir -p "$out"
log "pgbench -R $rate -c $clients -j $threads for ${duration}s through PgBouncer on 127.0.0.1:$bouncer_port"
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
started_epoch=$(date +%s)
# -l: one line per transaction (end time and latency), to see what clients waited at each switch.
# No --max-tries: a transaction that fails once counts as failed.
(cd "$out" && exec pgbench -h 127.0.0.1 -p "$bouncer_port" -U postgres -n -M simple -R "$rate" -c "$clients" \
  -j "$threads" -T "$duration" -P 10 -l --log-prefix=txn --failures-detailed bench >"$out/pgbench.out" 2>"$out/pgbench.err") &
pgbench_pid=$!
sleep 5
kill -0 "$pgbench_pid" 2>/dev/null || { echo "pgbench ended at once:" >&2; cat "$out/pgbench.err" >&2; exit 1; }

# --- switchovers: A->B, B->A, ... each a new migration into an emptied database --------------------
primary=$a_port
other=$b_port
# The CLI logs warnings only; the engine's account of where the freeze went is worth keeping.
cat >"$out/logback.xml" <<'EOF'
<configuration>
  <appender name="STDERR" class="ch.qos.logback.core.ConsoleAppender">
    <target>System.err</target>
    <encoder><pattern>%d{HH:mm:ss.SSS} %-5level %logger{0} - %msg%n</pattern></encoder>
  </appender>
  <root level="WARN"><appender-ref ref="STDERR"/></root>
  <logger name="dev.phaseshift.engine.postgres.PgSwitchover" level="INFO"/>
  <logger name="dev.phaseshift.engine.postgres.FreezeMarker" level="INFO"/>
</configuration>
EOF
: >"$out/switchovers.jsonl"
for ((i = 1; i <= switchovers; i++)); do
  fresh_database "$other"
  plan="$out/plan-$i.yaml"
  cat >"$plan" <<EOF
name: freeze-$i
source:
  url: jdbc:postgresql://127.0.0.1:$primary/bench
  user: postgres
target:
  url: jdbc:postgresql://127.0.0.1:$other/bench
  user: postgres
approvalRequired: false
router:
  type: pgbouncer
  adminUrl: jdbc:postgresql://127.0.0.1:$bouncer_port/pgbouncer
  user: postgres
  database: bench
  configFile: $bouncer_ini
EOF
  log "switchover $i: $primary -> $other (initial sync under load, then the switch)"
  # --keep: the migration is not decommissioned here but by clean_up below (see there).
  if ! line=$(PHASESHIFT_PG_BIN="$bin" java -Xmx512m -Dlogback.configurationFile="$out/logback.xml" -jar "$jar" \
      bench-switchover --keep "$plan" 2>"$out/switchover-$i.log"); then
    echo "switchover $i failed; see $out/switchover-$i.log" >&2
    tail -20 "$out/switchover-$i.log" >&2
    exit 1
  fi
  kill -0 "$pgbench_pid" 2>/dev/null || { echo "pgbench ended before switchover $i finished; raise --duration" >&2; exit 1; }
  echo "{\"switchover\": $i, \"from\": $primary, \"to\": $other, \"result\": $line}" >>"$out/switchovers.jsonl"
  log "switchover $i: $(python3 -c 'import json,sys; r=json.loads(sys.argv[1]); print("write freeze %d ms, clients held %d ms" % (r["writeFreezeMillis"], r["routerPauseMillis"]))' "$line")"
  clean_up "$primary" "$other"
  tmp=$primary; primary=$other; other=$tmp
done
last_switch_epoch=$(date +%s)
log "all $switchovers switchovers done; pgbench runs until its ${duration}s are over"
set +e
wait "$pgbench_pid"
pgbench_exit=$?
set -e
pgbench_pid=""
load_after=$(cut -d' ' -f1-3 /proc/loadavg)

# --- nothing lost: every transaction pgbench counted is on the final primary ------------------------
history_rows=$(psql_on "$primary" bench -Atc "SELECT count(*) FROM pgbench_history")
balances=$(psql_on "$primary" bench -Atc "SELECT (SELECT sum(abalance) FROM pgbench_accounts) = (SELECT coalesce(sum(delta), 0) FROM pgbench_history)
  AND (SELECT sum(tbalance) FROM pgbench_tellers) = (SELECT coalesce(sum(delta), 0) FROM pgbench_history)
  AND (SELECT sum(bbalance) FROM pgbench_branches) = (SELECT coalesce(sum(delta), 0) FROM pgbench_history)")
old_rows=$(psql_on "$other" bench -Atc "SELECT count(*) FROM pgbench_history")
bouncer_entry=$(grep '^bench *=' "$bouncer_ini")

cat >"$out/run.json" <<EOF
{"switchovers": $switchovers, "rate": $rate, "clients": $clients, "threads": $threads, "scale": $scale,
 "duration": $duration, "startedEpoch": $started_epoch, "lastSwitchEpoch": $last_switch_epoch,
 "pgbenchExit": $pgbench_exit, "finalPrimaryPort": $primary, "historyRows": $history_rows,
 "oldPrimaryHistoryRows": $old_rows, "balancesMatch": "$balances", "bouncerEntry": "$bouncer_entry",
 "loadBefore": "$load_before", "loadAfter": "$load_after", "cores": $(nproc),
 "bouncerVersion": "$(pgbouncer --version | head -1 | cut -d" " -f2)",
 "cpu": "$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')",
 "command": "bench/freeze.sh --switchovers $switchovers --rate $rate --clients $clients --threads $threads --scale $scale --duration $duration"}
EOF

# FREEZE_NOTE, if set, goes into the report verbatim (for example what else loaded the machine).
python3 "$here/freeze_report.py" "$out" "$repo/docs/freeze-benchmark.md"
