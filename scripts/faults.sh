#!/usr/bin/env bash
# Fault-injection runs: measures the service under faults, each script printing a short result
# block (figures, then PASS or FAIL) and exiting non-zero on FAIL.
#
# Usage: scripts/faults.sh NAME [sqlite|postgres] [args…]
#   killnine    [SECONDS=120] [WRITERS=8] [KILLS=3]      kill -9 under mixed writes, restart
#   smtp_outage [MINUTES=10] [CLIENTS=4] [RETRY_SECONDS=5]  SMTP unreachable, then back
#   instances   [MINUTES=10] [CLIENTS=6]                 three instances on one PostgreSQL
#   pg_restart  [SECONDS=60] [WRITERS=4] [RESTARTS=1]    PostgreSQL restarted under load
#   login_flood [SECONDS=30] [FLOODERS=48] [CLIENTS=4]   p99 of reads during a login flood
#   deadline    [N=300]                                  scripts/deadline.sh (bids at the deadline)
# The backend defaults to sqlite (postgres for instances and pg_restart, which need it).
#
# JIEBANG_BIN=path: use that binary and build nothing; otherwise `cargo build --release` and
# target/release/jiebang. Each run gets a temporary directory (data dirs, server logs, the
# ledger) and, on PostgreSQL, a fresh database jiebang_faults on postgres://postgres@127.0.0.1:5432/;
# both are removed on exit (FAULTS_KEEP=1 keeps them). Needs python3 (standard library; Debian's
# /usr/bin/python3 with python3-aiosmtpd for smtp_outage and instances), psql for postgres, and
# for pg_restart the right to run pg_ctlcluster (it restarts the local cluster, which every
# database on it sees: it refuses while other databases have sessions, unless FAULTS_FORCE=1).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

usage() { sed -n '4,11p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
name="${1:-}"
[ -n "$name" ] || usage
shift
case "$name" in
  instances|pg_restart) backend=postgres ;;
  killnine|smtp_outage|login_flood|deadline) backend=sqlite ;;
  *) usage ;;
esac
if [ "${1:-}" = sqlite ] || [ "${1:-}" = postgres ]; then backend="$1"; shift; fi
if [ "$backend" = sqlite ] && { [ "$name" = instances ] || [ "$name" = pg_restart ]; }; then
  echo "$name runs on PostgreSQL only" >&2; exit 2
fi

if [ -n "${JIEBANG_BIN:-}" ]; then
  bin=$(realpath "$JIEBANG_BIN")
  [ -x "$bin" ] || { echo "JIEBANG_BIN=$JIEBANG_BIN is not an executable" >&2; exit 2; }
else
  cargo build --release --bin jiebang -q
  bin="$root/target/release/jiebang"
fi

if [ "$name" = deadline ]; then
  JIEBANG_BIN="$bin" exec scripts/deadline.sh "$backend" "$@"
fi

python=/usr/bin/python3
[ -x "$python" ] || python=python3
if [ "$name" = smtp_outage ] || [ "$name" = instances ]; then
  "$python" -c 'import aiosmtpd' 2>/dev/null ||
    { echo "the SMTP sink needs Debian's python3-aiosmtpd (apt-get install python3-aiosmtpd)" >&2; exit 2; }
fi

dir=$(mktemp -d -t jiebang-faults.XXXXXX)
pg_admin=postgres://postgres@127.0.0.1:5432/postgres
psql_admin() { PGOPTIONS='-c client_min_messages=warning' psql -X -q "$pg_admin" "$@" >/dev/null; }
cleanup() {
  status=$?
  # the servers and SMTP sinks the script started, if it left any (by pid, and only if the pid
  # still runs one of them)
  if [ -f "$dir/pids" ]; then
    while read -r pid; do
      if [ -r "/proc/$pid/cmdline" ] && tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q -e "$bin" -e smtp_sink.py; then
        kill "$pid" 2>/dev/null || true
      fi
    done <"$dir/pids"
    sleep 0.5
  fi
  if [ "${FAULTS_KEEP:-}" = 1 ]; then
    echo "kept: $dir${JIEBANG_DATABASE_URL:+ and $JIEBANG_DATABASE_URL}" >&2
  else
    rm -rf "$dir"
    if [ "$backend" = postgres ]; then
      psql_admin -c 'DROP DATABASE IF EXISTS jiebang_faults WITH (FORCE)' 2>/dev/null || true
    fi
  fi
  exit $status
}
trap cleanup EXIT
trap 'exit 130' INT TERM

if [ "$backend" = postgres ]; then
  psql_admin -c 'DROP DATABASE IF EXISTS jiebang_faults WITH (FORCE)' -c 'CREATE DATABASE jiebang_faults'
  export JIEBANG_DATABASE_URL=postgres://postgres@127.0.0.1:5432/jiebang_faults
else
  export JIEBANG_DATABASE_URL="sqlite://$dir/jiebang.db"
fi
# one signing key for every server of the run: tokens survive restarts and work on each instance
JIEBANG_JWT_SECRET=$(od -An -N32 -tx1 /dev/urandom | tr -d ' \n')
export JIEBANG_JWT_SECRET
export FAULTS_BIN="$bin" FAULTS_DIR="$dir" FAULTS_BACKEND="$backend" FAULTS_ROOT="$root" \
  FAULTS_OFFICIAL=faults-official@kjt.jiebang.cn FAULTS_PASSWORD='Load-Test-Password-2026'
JIEBANG_DATA_DIR="$dir/cli" RUST_LOG=warn "$bin" user create --role official --email "$FAULTS_OFFICIAL" \
  --password "$FAULTS_PASSWORD" --name 故障处长 >/dev/null

echo "fault: $name, backend: $backend, binary: $bin"
# in the background so that INT/TERM reach this shell at once; the script stops its servers
"$python" "scripts/faults/$name.py" "$@" &
py=$!
trap 'kill -TERM $py 2>/dev/null; wait $py 2>/dev/null; exit 130' INT TERM
wait $py
