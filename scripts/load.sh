#!/usr/bin/env bash
# Builds the release binary, starts it on a fresh database (SQLite, or PostgreSQL database
# jiebang_load re-created on 127.0.0.1:5432), fills 10 000 challenges and measures with wrk.
# Usage: scripts/load.sh [sqlite|postgres] [COUNT]     Needs: wrk, python3 (and psql for postgres).
set -euo pipefail
cd "$(dirname "$0")/.."
backend="${1:-sqlite}"
count="${2:-10000}"
command -v wrk >/dev/null || { echo "install wrk (apt-get install wrk)" >&2; exit 1; }
cargo build --release --bin jiebang -q
dir=$(mktemp -d)
port=18080
# e-mail delivery is paused (the fill enqueues 20 000 e-mails): the figures are the API's
export JIEBANG_DATA_DIR="$dir" JIEBANG_BIND="127.0.0.1:$port" RUST_LOG=warn JIEBANG_OUTBOX_INTERVAL_MS=3600000
if [ "$backend" = postgres ]; then
  psql -q postgres://postgres@127.0.0.1:5432/postgres -c 'DROP DATABASE IF EXISTS jiebang_load' -c 'CREATE DATABASE jiebang_load'
  export JIEBANG_DATABASE_URL=postgres://postgres@127.0.0.1:5432/jiebang_load
fi
./target/release/jiebang user create --role official --email load-official@kjt.jiebang.cn \
  --password 'Load-Test-Password-2026' --name 压测处长 >/dev/null
./target/release/jiebang serve & pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$dir"' EXIT
for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.1; done
echo "backend: $backend"
python3 scripts/load.py "http://127.0.0.1:$port" load-official@kjt.jiebang.cn 'Load-Test-Password-2026' "$count"
