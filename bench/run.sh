#!/usr/bin/env bash
# The benchmark suite: W1–W6 against a release build on loopback, on SQLite and on
# PostgreSQL, then the targets table. Results land in bench/results/.
#
#   bench/run.sh                      # both backends, 10 s per workload
#   BACKENDS=sqlite DURATION=5s bench/run.sh
#
# PostgreSQL: BENCH_POSTGRES_URL (default postgres://postgres@127.0.0.1:5432) must let
# us create and drop a database of our own.
set -euo pipefail
cd "$(dirname "$0")/.."

backends=${BACKENDS:-sqlite postgres}
duration=${DURATION:-10s}
pg_admin=${BENCH_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432}
results=bench/results
mkdir -p "$results"

cargo build --release --quiet -p graphql-auth -p graphql-auth-bench
server=target/release/graphql-auth
loadgen=target/release/loadgen

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

pid="" scratch="" database=""
cleanup() {
  if [[ -n $pid ]]; then kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
  if [[ -n $database ]]; then psql -q "$pg_admin/postgres" -c "DROP DATABASE IF EXISTS $database" || true; fi
  if [[ -n $scratch ]]; then rm -rf "$scratch"; fi
  pid="" scratch="" database=""
}
trap cleanup EXIT

{
  echo "# Run of $(date -u +%Y-%m-%dT%H:%MZ) on $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(rustc --version)"
  echo "commit $(git rev-parse --short HEAD)$(git diff --quiet || echo ' (with local changes)'), $duration per workload"
  echo
} | tee "$results/latest.md"

for backend in $backends; do
  scratch=$(mktemp -d)
  port=$(free_port)
  unset DATABASE_URL
  if [[ $backend == postgres ]]; then
    database="authbench_$$"
    psql -q "$pg_admin/postgres" -c "CREATE DATABASE $database"
    export DATABASE_URL="$pg_admin/$database"
  fi
  # Limits high enough never to trigger from one IP, low enough that the limiter runs.
  for limit in LOGIN REGISTER REFRESH INTROSPECT; do export "RATE_LIMIT_$limit=1000000/sec"; done
  export INTROSPECTION_TOKEN="bench-introspection-token-$RANDOM$RANDOM$RANDOM"  # W6's caller
  DATA_DIR=$scratch BIND_ADDR=127.0.0.1:$port "$server" serve 2>"$scratch/server.log" &
  pid=$!
  for _ in $(seq 100); do
    curl -fsS "http://127.0.0.1:$port/readyz" >/dev/null 2>&1 && break
    sleep 0.1
  done
  "$loadgen" suite --addr "127.0.0.1:$port" --server-pid "$pid" --label "$backend" \
    --duration "$duration" --json-out "$results/$backend.json" | tee -a "$results/latest.md"
  cleanup
done

if [[ -f $results/sqlite.json && -f $results/postgres.json ]]; then
  "$loadgen" targets "$results/sqlite.json" "$results/postgres.json" | tee -a "$results/latest.md"
fi
