#!/usr/bin/env bash
# Schemathesis over the served OpenAPI document, on demo data, twice: anonymously and with an
# official's bearer token. Phases examples, coverage and fuzzing; the sign-up schemathesis would
# otherwise do by itself through POST /api/v1/auth/register is switched off (`[auth] auto-signup =
# false`). Fails (exit 1) when either run reports a failure: a server error, an undocumented status
# code or Content-Type, or a response that violates its schema.
#
#   scripts/schemathesis.sh [path/to/jiebang]      # default: target/release/jiebang
#
# Knobs (environment):
#   ST_MAX_EXAMPLES  test cases per operation and phase (default 100; ~1.5 min a run on 2 cores)
#   ST_WORKERS       schemathesis workers (default 1: as fast as 2 here, since schemathesis' own CPU is
#                    the limit, and threads hit a CPython < 3.13 race, "AST constructor recursion
#                    depth mismatch", that schemathesis reports as a runtime error)
#   ST_CHECKS        checks (default not_a_server_error,status_code_conformance,
#                    response_schema_conformance,content_type_conformance; `all` for every check)
#   ST_SEED          a seed, to repeat a run exactly (default: random, printed at the end of a run)
#   ST_TIMEOUT       hard limit for one schemathesis run, in seconds (default 900)
#   ST_RUNS          which runs: "anonymous official" (default), or one of them
#   ST_VENV          where schemathesis is installed (default ~/.cache/jiebang/schemathesis-venv)
#   ST_KEEP=1        keep the temporary directory (database, server log, reports) afterwards
# The reports (schemathesis' NDJSON and JUnit files and its full output) of a failing run are kept
# in the temporary directory, whose path is printed.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
bin=${1:-$repo/target/release/jiebang}
[ -x "$bin" ] || { echo "no executable jiebang binary at $bin (build it: cargo build --release)" >&2; exit 2; }
bin=$(cd "$(dirname "$bin")" && pwd)/$(basename "$bin")

max_examples=${ST_MAX_EXAMPLES:-100}
workers=${ST_WORKERS:-1}
checks=${ST_CHECKS:-not_a_server_error,status_code_conformance,response_schema_conformance,content_type_conformance}
st_timeout=${ST_TIMEOUT:-900}
runs=${ST_RUNS:-anonymous official}
requirements=$repo/scripts/schemathesis-requirements.txt
venv=${ST_VENV:-${XDG_CACHE_HOME:-$HOME/.cache}/jiebang/schemathesis-venv}
python=${PYTHON:-python3}

# --- schemathesis, at the pinned version, in its own venv ---
want=$(sed -n 's/^schemathesis==\([^ ]*\).*/\1/p' "$requirements")
have=$("$venv/bin/schemathesis" --version 2>/dev/null | awk '{print $NF}' || true)
if [ "$have" != "$want" ]; then
  echo "installing schemathesis $want into $venv"
  if ! "$python" -m venv --help >/dev/null 2>&1 || ! "$python" -c 'import ensurepip' >/dev/null 2>&1; then
    sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    export DEBIAN_FRONTEND=noninteractive
    $sudo apt-get update -qq
    $sudo apt-get install -y -qq --no-install-recommends python3-venv
  fi
  rm -rf "$venv"
  "$python" -m venv "$venv"
  "$venv/bin/pip" install -q --disable-pip-version-check -r "$requirements"
fi
st="$venv/bin/schemathesis"
echo "schemathesis: $("$st" --version)"

# --- a fresh data dir, demo data, the server on a free port ---
work=$(mktemp -d "${TMPDIR:-/tmp}/jiebang-schemathesis.XXXXXX")
server_pid=""
failed=0
cleanup() {
  if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then
    kill "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  if [ "${ST_KEEP:-0}" = 1 ]; then
    echo "kept: $work"
  elif [ "$failed" != 0 ]; then
    rm -rf "$work/data"
    echo "reports kept in $work/reports"
  else
    rm -rf "$work"
  fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

port=$("$python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
base="http://127.0.0.1:$port"
unset JIEBANG_DATABASE_URL JIEBANG_JWT_SECRET JIEBANG_SMTP_URL
export JIEBANG_DATA_DIR="$work/data" JIEBANG_BIND="127.0.0.1:$port"
mkdir -p "$work/data" "$work/reports"

"$bin" demo >"$work/demo.log" 2>&1 || { cat "$work/demo.log" >&2; exit 2; }
JIEBANG_ACCESS_TOKEN_TTL=86400 "$bin" serve >"$work/server.log" 2>&1 &
server_pid=$!
for _ in $(seq 1 100); do
  "$python" -c "import urllib.request; urllib.request.urlopen('$base/healthz', timeout=1)" 2>/dev/null && break
  kill -0 "$server_pid" 2>/dev/null || { echo "the server stopped:" >&2; tail -20 "$work/server.log" >&2; exit 2; }
  sleep 0.2
done
echo "server: $bin on $base (data in $work/data)"

# Log in before any run: the anonymous run's login attempts may throttle this address.
token=$("$python" - "$base" <<'EOF'
import json, sys, urllib.request
body = json.dumps({"email": "official@demo.jiebang.cn", "password": "Jiebang-Demo-2026"}).encode()
req = urllib.request.Request(sys.argv[1] + "/api/v1/auth/login", data=body,
                             headers={"Content-Type": "application/json"})
print(json.load(urllib.request.urlopen(req, timeout=30))["access_token"])
EOF
)

# auto-signup is only settable in schemathesis.toml
cat >"$work/schemathesis.toml" <<'EOF'
[auth]
auto-signup = false
EOF

# --- a summary of one run's NDJSON report: each failure kind once per operation and status ---
cat >"$work/summarize.py" <<'EOF'
import base64, collections, glob, json, re, sys

def text(content):
    if isinstance(content, dict) and "$base64" in content:
        return base64.b64decode(content["$base64"]).decode("utf-8", "replace")
    if isinstance(content, dict):
        return content.get("string", "")
    return content or ""

def gist(f):
    t, msg = f.get("type", ""), f.get("message") or ""
    first = msg.splitlines()[0] if msg else ""
    if t == "UndefinedStatusCode":
        documented = re.search(r"Documented: ([^\n]*)", msg)
        return "undocumented status" + (f" (documented: {documented.group(1)})" if documented else "")
    if t == "UndefinedContentType":
        got = re.search(r"Received: ([^\n]*)", msg)
        documented = re.search(r"Documented: ([^\n]*)", msg)
        return f"Content-Type {got.group(1) if got else '?'} undocumented (documented: {documented.group(1) if documented else '?'})"
    if t == "JsonSchemaError":
        where = re.search(r"Schema at ([^\n:]*)", msg)
        m = re.match(r"(.*) is not of type (.*)$", first)
        if m:
            try:
                value = json.loads(m.group(1))
                first = f"a {type(value).__name__ if value is not None else 'null'} is not of type {m.group(2)}"
            except ValueError:
                pass
        return f"schema violation: {first} at {where.group(1) if where else '?'}"
    return f"{f.get('title', t)}: {first}"

def short(check, g):
    return re.sub(r" \(documented: [^)]*\)$", "", g)

groups = collections.OrderedDict()
for path in sys.argv[2:]:
    for line in open(path, encoding="utf-8"):
        event = json.loads(line).get("ScenarioFinished")
        if not event:
            continue
        recorder = event.get("recorder") or {}
        for case_id, checks in (recorder.get("checks") or {}).items():
            exchange = (recorder.get("interactions") or {}).get(case_id) or {}
            request, response = exchange.get("request") or {}, exchange.get("response") or {}
            for check in checks:
                if check.get("status") != "failure":
                    continue
                f = (check.get("failure_info") or {}).get("failure") or {}
                key = (f.get("operation") or recorder.get("label"), response.get("status_code", "-"), check["name"], gist(f))
                g = groups.setdefault(key, [0, None])
                g[0] += 1
                if g[1] is None:
                    body = text(request.get("body"))
                    auth = "with token" if any(k.lower() == "authorization" for k in request.get("headers") or {}) else "no token"
                    g[1] = f"{request.get('method')} {request.get('uri')} ({auth})" + (f" body={body[:160]!r}" if body else "")
                    g[1] += f" -> {text(response.get('content'))[:200]}"

# every distinct failure with one example request, into a file
with open(sys.argv[1], "w", encoding="utf-8") as out:
    for (op, status, check, g), (count, example) in sorted(groups.items(), key=lambda kv: (kv[0][0], str(kv[0][1]), kv[0][2])):
        out.write(f"- {op} -> {status}: {g} [{check}, {count}x]\n    e.g. {example}\n")

# on the terminal: each kind once, with the operations it was seen on
kinds = collections.OrderedDict()
for (op, status, check, g) in groups:
    kinds.setdefault((check, str(status), short(check, g)), set()).add(op)
print(f"  {len(groups)} distinct failures (operation x status x kind) in {len(kinds)} kinds:")
for (check, status, g), ops in sorted(kinds.items(), key=lambda kv: (kv[0][0], kv[0][1], kv[0][2])):
    ops = sorted(ops)
    shown = ", ".join(ops[:3]) + (f", ... (+{len(ops) - 3})" if len(ops) > 3 else "")
    print(f"  - [{check}] {status}: {g} on {len(ops)} operation(s): {shown}")
print(f"  every failure with an example request: {sys.argv[1]}")
EOF

# --- the runs ---
run_schemathesis() {  # name, extra schemathesis arguments...
  local name=$1; shift
  local out="$work/reports/$name"
  mkdir -p "$out"
  local cmd=("$st" --config-file "$work/schemathesis.toml" run "$base/openapi.json" --url "$base"
    --phases examples,coverage,fuzzing --checks "$checks" --continue-on-failure
    --max-examples "$max_examples" --workers "$workers" --no-color
    --report ndjson,junit --report-dir "$out" "$@")
  [ -n "${ST_SEED:-}" ] && cmd+=(--seed "$ST_SEED")
  echo
  echo "=== schemathesis, $name ==="
  # print the command without the token
  printf '%q ' "${cmd[@]}" | sed -E 's/(Bearer\\? )[A-Za-z0-9._-]+/\1<token>/'
  echo
  local started=$SECONDS status=0
  (cd "$work" && timeout "$st_timeout" "${cmd[@]}") >"$out/output.txt" 2>&1 || status=$?
  # schemathesis' own summary block, then the grouped failures
  sed -n '/^=* SUMMARY =*$/,$p' "$out/output.txt" | grep -vE '^(=+ SUMMARY =+|Reports:|  - [A-Za-z ]+: /.*)$' | sed '/^$/N;/^\n$/D'
  if [ "$status" -ne 0 ]; then
    failed=1
    if compgen -G "$out/*.ndjson" >/dev/null; then
      echo "failures, grouped:"
      "$venv/bin/python" "$work/summarize.py" "$out/failures.txt" "$out"/*.ndjson
    fi
    [ "$status" -eq 124 ] && echo "schemathesis did not finish within ${st_timeout}s"
    [ "$status" -ne 1 ] && [ "$status" -ne 124 ] && { echo "schemathesis exited with $status:"; tail -20 "$out/output.txt"; }
  fi
  echo "$name: exit $status after $((SECONDS - started))s (full output: $out/output.txt)"
}

for r in $runs; do
  case $r in
    anonymous) run_schemathesis anonymous ;;
    official) run_schemathesis official -H "Authorization: Bearer $token" ;;
    *) echo "unknown run $r (anonymous, official)" >&2; exit 2 ;;
  esac
done

if grep -q "panicked" "$work/server.log"; then
  echo "the server log has panics:"
  grep "panicked" "$work/server.log" | sort | uniq -c | head -20
fi
echo
if [ "$failed" -ne 0 ]; then
  echo "schemathesis: FAILED"
  exit 1
fi
echo "schemathesis: no failures"
