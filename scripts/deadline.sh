#!/usr/bin/env bash
# Runs scripts/deadline.py against a fresh release server (SQLite, or PostgreSQL database
# jiebang_deadline re-created on 127.0.0.1:5432).   Usage: scripts/deadline.sh [sqlite|postgres] [N]
# With JIEBANG_BIN=path (as scripts/faults.sh deadline passes it) that binary runs and nothing is built.
set -euo pipefail
cd "$(dirname "$0")/.."
backend="${1:-sqlite}"
n="${2:-300}"
if [ -n "${JIEBANG_BIN:-}" ]; then
  bin=$(realpath "$JIEBANG_BIN")
else
  cargo build --release --bin jiebang -q
  bin=./target/release/jiebang
fi
dir=$(mktemp -d)
port=18081
export JIEBANG_DATA_DIR="$dir" JIEBANG_BIND="127.0.0.1:$port" RUST_LOG=warn JIEBANG_MIN_BIDDING_HOURS=0 \
  JIEBANG_SCHEDULER_INTERVAL_MS=200 JIEBANG_HASH_CONCURRENCY=4
if [ "$backend" = postgres ]; then
  psql -q postgres://postgres@127.0.0.1:5432/postgres -c 'DROP DATABASE IF EXISTS jiebang_deadline' -c 'CREATE DATABASE jiebang_deadline'
  export JIEBANG_DATABASE_URL=postgres://postgres@127.0.0.1:5432/jiebang_deadline
fi
"$bin" user create --role official --email deadline-official@kjt.jiebang.cn \
  --password 'Load-Test-Password-2026' --name 压测处长 >/dev/null
"$bin" serve & pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$dir"' EXIT
for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.1; done
echo "backend: $backend"
python3 scripts/deadline.py "http://127.0.0.1:$port" deadline-official@kjt.jiebang.cn 'Load-Test-Password-2026' "$n"
