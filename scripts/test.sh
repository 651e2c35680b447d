#!/usr/bin/env bash
# The test command: installs what a fresh Debian machine lacks for the tests, then runs every
# test of the workspace. The PostgreSQL suite runs when JIEBANG_TEST_DATABASE_URL is a
# postgres:// URL (each test in its own schema); without it only SQLite is tested.
#   scripts/test.sh                    # SQLite
#   JIEBANG_TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432/test scripts/test.sh
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"

# --- system packages: a C toolchain with make and perl (SQLite, libpq and OpenSSL are built
# from source into the binary; no -dev package is needed), and for the end-to-end tests a real
# SMTP server (aiosmtpd) and a JSON Schema validator (the OCDS export), both on the system Python,
# and a real browser ---
need=()
command -v cc >/dev/null 2>&1 || need+=(build-essential)
command -v make >/dev/null 2>&1 || need+=(make)
command -v perl >/dev/null 2>&1 || need+=(perl)
/usr/bin/python3 -c 'import aiosmtpd' >/dev/null 2>&1 || need+=(python3-aiosmtpd)
/usr/bin/python3 -c 'import jsonschema' >/dev/null 2>&1 || need+=(python3-jsonschema)
# the browser tests: Debian's chromium and its matching chromedriver (never a browser a test tool
# downloads), and a CJK font so that screenshots show Chinese
[ -x /usr/bin/chromium ] || need+=(chromium)
[ -x /usr/bin/chromedriver ] || need+=(chromium-driver)
[ -e /usr/share/fonts/truetype/wqy/wqy-microhei.ttc ] || need+=(fonts-wqy-microhei)
if [ ${#need[@]} -gt 0 ]; then
  echo "installing: ${need[*]}"
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq --no-install-recommends "${need[@]}"
fi
command -v cargo >/dev/null 2>&1 || { echo "cargo is missing: install Rust (https://rustup.rs) first" >&2; exit 1; }
# `scripts/test.sh --deps-only`: only the installs above (CI builds the binary before the tests)
[ "${1:-}" = "--deps-only" ] && exit 0

# --- every test, with a closing count of all test binaries' results ---
log=$(mktemp)
set +e
cargo test --workspace 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
set -e
summary=$(awk '/^test result:/ { for (i = 1; i <= NF; i++) { if ($(i+1) ~ /^passed/) p += $i; if ($(i+1) ~ /^failed/) f += $i } }
               END { printf "tests: %d passed, %d failed", p, f }' "$log")
rm -f "$log"
echo "$summary"
exit "$status"
