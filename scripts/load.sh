#!/usr/bin/env bash
# Builds the release binary, starts it on a fresh database (SQLite, or PostgreSQL database
# jiebang_load re-created on 127.0.0.1:5432), publishes COUNT challenges through the API and
# measures with wrk (scripts/load.py: the public reads, cached and signed in, then bid submission
# and agreement signing).
#
#   scripts/load.sh [sqlite|postgres] [COUNT] [SCALE ...]
#
# COUNT defaults to 10 000. Each SCALE (e.g. 100000 1000000) then copies the published challenges
# in the database up to that many, restarts the server (which indexes them all at start) and
# measures the reads again. LOAD_RUNS=N repeats each read measurement N times (the worst p99 of
# each endpoint is printed at the end); LOAD_SECONDS=S sets each wrk run's length (default 10);
# LOAD_WRITES=0 skips the bid submissions and signatures, LOAD_READS=0 the reads.
# LOAD_BIN=path runs that binary instead of building one (paired runs of two commits' builds).
# The server's resident memory is printed idle at start, after the fill and after each run.
# Needs: wrk, python3 (and psql for postgres).
set -euo pipefail
cd "$(dirname "$0")/.."
backend="${1:-sqlite}"
count="${2:-10000}"
scales=("${@:3}")
runs="${LOAD_RUNS:-1}"
command -v wrk >/dev/null || { echo "install wrk (apt-get install wrk)" >&2; exit 1; }
bin="${LOAD_BIN:-./target/release/jiebang}"
[ -n "${LOAD_BIN:-}" ] || cargo build --release --bin jiebang -q
dir=$(mktemp -d)
port=18080
base="http://127.0.0.1:$port"
password='Load-Test-Password-2026'
# e-mail delivery is paused (the fill enqueues tens of thousands of e-mails): the figures are the
# API's. 限项 is lifted: the bid benchmark lets 32 universities hold many drafts each.
export JIEBANG_DATA_DIR="$dir" JIEBANG_BIND="127.0.0.1:$port" RUST_LOG=warn \
  JIEBANG_OUTBOX_INTERVAL_MS=3600000 JIEBANG_MAX_LIVE_BIDS=1000000
if [ "$backend" = postgres ]; then
  psql -q postgres://postgres@127.0.0.1:5432/postgres -c 'DROP DATABASE IF EXISTS jiebang_load' -c 'CREATE DATABASE jiebang_load'
  export JIEBANG_DATABASE_URL=postgres://postgres@127.0.0.1:5432/jiebang_load
  db_url=$JIEBANG_DATABASE_URL
else
  db_url="$dir/jiebang.db"
fi
"$bin" user create --role official --email load-official@kjt.jiebang.cn \
  --password "$password" --name 压测处长 >/dev/null
pid=""
start() {
  local t0=$SECONDS
  "$bin" serve & pid=$!
  for _ in $(seq 1 6000); do curl -sf "$base/healthz" >/dev/null && break; sleep 0.1; done
  echo "server ready in $((SECONDS - t0)) s"
}
stop() { kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null || true; }
trap 'stop; rm -rf "$dir"' EXIT
echo "backend: $backend"
start
sleep 2
python3 scripts/load.py rss "$pid" "idle, empty database"
python3 scripts/load.py fill "$base" load-official@kjt.jiebang.cn "$password" "$count"
if [ "$backend" = postgres ]; then
  # a live database has had autovacuum over the rows the fill wrote; this machine's PostgreSQL
  # runs with autovacuum off, and measured straight after the fill, without statistics, the
  # search index's sync scanned every challenge every five seconds and the audit chain's
  # sequencer walked every dead index entry of the 30 000 entries it had chained (100-3 500 ms
  # each under the load, in the statement log; docs/performance.md)
  psql -q "$db_url" -c "VACUUM ANALYZE"
fi
sleep 2
python3 scripts/load.py rss "$pid" "idle, $count challenges"
if [ "${LOAD_READS:-1}" = 1 ]; then
  python3 scripts/load.py measure "$base" "$password" "$runs"
  python3 scripts/load.py rss "$pid" "after the reads"
fi
if [ "${LOAD_WRITES:-1}" = 1 ]; then
  echo
  python3 scripts/load.py writes "$base" "$password" "$count"
  python3 scripts/load.py rss "$pid" "after the bid submissions"
  echo
  python3 scripts/load.py signing "$base" "$password" "$db_url"
  python3 scripts/load.py rss "$pid" "after the signatures"
  if [ "$backend" = sqlite ]; then
    python3 scripts/load.py sqlite-rate "$dir/rate.db"
  fi
fi
for scale in "${scales[@]}"; do
  stop
  echo
  echo "## $scale published challenges"
  python3 scripts/load.py multiply "$db_url" "$scale"
  start
  sleep 2
  python3 scripts/load.py rss "$pid" "idle, $scale challenges"
  python3 scripts/load.py measure "$base" "$password" "$runs"
  python3 scripts/load.py rss "$pid" "after the reads, $scale challenges"
done
