"""Shared pieces of the fault-injection scripts in scripts/faults/ (not run by itself).

scripts/faults.sh prepares a run and passes it in the environment:
  FAULTS_BIN        the jiebang binary
  FAULTS_DIR        a temporary directory for data dirs, logs, the ledger and process ids
  FAULTS_BACKEND    sqlite | postgres
  FAULTS_ROOT       the repository (for tests/smtp_sink.py)
  FAULTS_OFFICIAL, FAULTS_PASSWORD   an official created with `jiebang user create`
  JIEBANG_DATABASE_URL, JIEBANG_JWT_SECRET   shared by every server a script starts
Here: HTTP calls, servers and SMTP sinks the scripts start, stop and kill, direct database
reads (Python's sqlite3, or psql), test data (organisations, challenges, bids), the ledger of
acknowledged writes with its checks, and the result block. Standard library only.
"""
import collections
import datetime
import http.client
import itertools
import json
import os
import random
import re
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.parse

BIN = os.environ.get("FAULTS_BIN", "")
DIR = os.environ.get("FAULTS_DIR", "")
BACKEND = os.environ.get("FAULTS_BACKEND", "sqlite")
ROOT = os.environ.get("FAULTS_ROOT", os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
DB_URL = os.environ.get("JIEBANG_DATABASE_URL", "")
OFFICIAL = os.environ.get("FAULTS_OFFICIAL", "faults-official@kjt.jiebang.cn")
PASSWORD = os.environ.get("FAULTS_PASSWORD", "Load-Test-Password-2026")
API = "/api/v1"


def need_driver():
    if not (BIN and DIR and DB_URL):
        sys.exit("run through scripts/faults.sh (FAULTS_BIN, FAULTS_DIR, JIEBANG_DATABASE_URL unset)")
    # stopped by the driver: leave through the `finally`s that stop the servers
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))


def now_utc():
    return datetime.datetime.now(datetime.timezone.utc)


def log(msg):
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


# ------------------------------------------------------------------------------------- HTTP

class Resp:
    """One HTTP exchange: `status` None when no answer came (refused, reset, timeout)."""

    def __init__(self, status, body=None, headers=None, error=None, elapsed=0.0):
        self.status, self.body, self.headers, self.error, self.elapsed = status, body, headers or {}, error, elapsed

    @property
    def code(self):
        return self.body.get("code") if isinstance(self.body, dict) else None

    @property
    def ok(self):
        return self.status is not None and 200 <= self.status < 300

    def label(self):
        """`200`, `409 version_conflict`, `no answer (ConnectionRefusedError)`."""
        if self.status is None:
            return f"no answer ({self.error})"
        return f"{self.status} {self.code}" if self.code else str(self.status)

    def retry_after(self):
        try:
            return max(0.2, min(float(self.headers.get("retry-after", 1)), 5.0))
        except ValueError:
            return 1.0


def _send(conn, method, path, token, body, headers):
    h = {"accept": "application/json"}
    data = None
    if body is not None:
        data = json.dumps(body).encode()
        h["content-type"] = "application/json"
    if token:
        h["authorization"] = "Bearer " + token
    h.update(headers or {})
    conn.request(method, path, body=data, headers=h)
    r = conn.getresponse()
    raw = r.read()
    try:
        parsed = json.loads(raw) if raw else None
    except ValueError:
        parsed = raw.decode(errors="replace")
    return r.status, parsed, {k.lower(): v for k, v in r.getheaders()}


def call(base, method, path, token=None, body=None, headers=None, timeout=60):
    """One request on a new connection (so that a killed server is noticed at once)."""
    u = urllib.parse.urlsplit(base)
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=timeout)
    start = time.monotonic()
    try:
        status, parsed, hdrs = _send(conn, method, path, token, body, headers)
        return Resp(status, parsed, hdrs, elapsed=time.monotonic() - start)
    except (OSError, http.client.HTTPException) as e:
        return Resp(None, error=type(e).__name__, elapsed=time.monotonic() - start)
    finally:
        conn.close()


class KeepAlive:
    """A persistent connection (for latency figures and floods, like wrk): one per thread."""

    def __init__(self, base, timeout=60):
        u = urllib.parse.urlsplit(base)
        self.host, self.port, self.timeout = u.hostname, u.port, timeout
        self.conn = None

    def call(self, method, path, token=None, body=None, headers=None):
        for attempt in (0, 1):
            fresh = self.conn is None
            if fresh:
                self.conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
            start = time.monotonic()
            try:
                status, parsed, hdrs = _send(self.conn, method, path, token, body, headers)
                if hdrs.get("connection", "").lower() == "close":
                    self.close()
                return Resp(status, parsed, hdrs, elapsed=time.monotonic() - start)
            except (OSError, http.client.HTTPException) as e:
                self.close()
                # a connection the server closed while idle: once more on a new one
                if fresh or attempt == 1:
                    return Resp(None, error=type(e).__name__, elapsed=time.monotonic() - start)
        raise AssertionError("unreachable")

    def close(self):
        if self.conn is not None:
            self.conn.close()
            self.conn = None


def ok(base, method, path, token=None, body=None, headers=None, tries=60):
    """A call that must succeed (set-up): retried while the server is busy (429/503) or away."""
    for _ in range(tries):
        r = call(base, method, path, token, body, headers)
        if r.ok:
            return r.body
        if r.status in (429, 503) or r.status is None:
            time.sleep(r.retry_after() if r.status else 0.5)
            continue
        raise RuntimeError(f"{method} {path}: {r.label()} {r.body}")
    raise RuntimeError(f"{method} {path}: still failing after {tries} tries")


def login(base, email, password=PASSWORD):
    return ok(base, "POST", API + "/auth/login", body={"email": email, "password": password})["access_token"]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def percentile(values, p):
    if not values:
        return float("nan")
    v = sorted(values)
    return v[min(len(v) - 1, max(0, int(round(p / 100.0 * len(v) + 0.5)) - 1))]


# ------------------------------------------------------------------------ processes we start

def _remember_pid(pid):
    with open(os.path.join(DIR, "pids"), "a") as f:
        f.write(f"{pid}\n")


class Server:
    """One `jiebang serve` on its own port; its log is FAULTS_DIR/<name>.log."""

    def __init__(self, name, env=None, port=None, data_dir=None):
        self.name = name
        self.port = port or free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.data_dir = data_dir or os.path.join(DIR, name)
        os.makedirs(self.data_dir, exist_ok=True)
        self.log_path = os.path.join(DIR, f"{name}.log")
        self.env = dict(os.environ)
        self.env.update({
            "JIEBANG_BIND": f"127.0.0.1:{self.port}", "JIEBANG_DATA_DIR": self.data_dir,
            "JIEBANG_PUBLIC_URL": self.base, "RUST_LOG": os.environ.get("RUST_LOG", "warn"),
            "JIEBANG_MIN_BIDDING_HOURS": "0", "JIEBANG_ACCESS_TOKEN_TTL": "86400",
        })
        self.env.update({k: str(v) for k, v in (env or {}).items()})
        self.proc = None
        self.starts = 0

    def start(self, wait=120):
        """Starts the server and waits until /readyz answers 200; returns the seconds it took."""
        t0 = time.monotonic()
        with open(self.log_path, "ab") as logf:
            logf.write(f"--- start {self.starts + 1} at {now_utc().isoformat()}\n".encode())
            logf.flush()
            self.proc = subprocess.Popen([BIN, "serve"], env=self.env, stdout=logf, stderr=logf,
                                         stdin=subprocess.DEVNULL)
        _remember_pid(self.proc.pid)
        self.starts += 1
        while time.monotonic() - t0 < wait:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.name} exited with {self.proc.returncode}; see its log:\n{self.tail()}")
            if call(self.base, "GET", "/readyz", timeout=5).status == 200:
                return time.monotonic() - t0
            time.sleep(0.05)
        raise RuntimeError(f"{self.name} not ready after {wait} s")

    def kill9(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait()

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.kill9()

    def tail(self, n=15):
        """The last n lines of the log."""
        return "\n".join(l[:300] for l in self._lines()[-n:])

    def problems(self, n=6):
        """The log's ERROR/WARN messages, without their times, most frequent first."""
        msgs = collections.Counter(re.sub(r"^\S+Z\s+", "", l)[:240] for l in self._lines()
                                   if " ERROR " in l or " WARN " in l or "panicked" in l)
        return "\n".join(f"    {k} ({v}x)" for k, v in msgs.most_common(n)) or "    none"

    def _lines(self):
        try:
            with open(self.log_path, errors="replace") as f:
                return [re.sub(r"\x1b\[[0-9;]*m", "", l) for l in f.read().splitlines()]
        except OSError:
            return []


class Sink:
    """Debian's aiosmtpd (tests/smtp_sink.py) on `port`: one JSON file per message received."""

    def __init__(self, port=None, name="smtp"):
        self.port = port or free_port()
        self.dir = os.path.join(DIR, name)
        self.proc = None

    @property
    def url(self):
        return f"smtp://127.0.0.1:{self.port}"

    def start(self):
        self.proc = subprocess.Popen(["/usr/bin/python3", os.path.join(ROOT, "tests", "smtp_sink.py"),
                                      str(self.port), self.dir], stdout=subprocess.PIPE, stdin=subprocess.DEVNULL)
        _remember_pid(self.proc.pid)
        line = self.proc.stdout.readline().decode().strip()
        if line != "ready":
            raise RuntimeError("the SMTP sink did not start (needs Debian's python3-aiosmtpd)")

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(10)

    def message_ids(self):
        """The Message-ID of every message received so far (a list: duplicates stay)."""
        ids = []
        if not os.path.isdir(self.dir):
            return ids
        for name in os.listdir(self.dir):
            if name.endswith(".json"):
                with open(os.path.join(self.dir, name), encoding="utf-8") as f:
                    ids.append(strip_mid(json.load(f)["message_id"]))
        return ids


def strip_mid(mid):
    return (mid or "").strip().strip("<>")


# --------------------------------------------------------------------------- the database

def query(sql):
    """Rows of a SELECT, read directly from the database under test (values as text on
    PostgreSQL, NULL as None)."""
    if BACKEND == "sqlite":
        path = DB_URL.split("://", 1)[1] if "://" in DB_URL else DB_URL
        con = sqlite3.connect(path, timeout=30)
        try:
            return [tuple(r) for r in con.execute(sql)]
        finally:
            con.close()
    out = subprocess.run(["psql", "-X", "-q", "-At", "-F", "\x1f", "-R", "\x1e", "-P", "null=\x01",
                          "-v", "ON_ERROR_STOP=1", DB_URL, "-c", sql],
                         capture_output=True, text=True, check=True).stdout
    rows = []
    for rec in out.rstrip("\n").split("\x1e"):
        if rec:
            rows.append(tuple(None if v == "\x01" else v for v in rec.split("\x1f")))
    return rows


def scalar(sql):
    rows = query(sql)
    return rows[0][0] if rows else None


def outbox_counts():
    """{status: count} of email_outbox."""
    return {s: int(n) for s, n in query("SELECT status, COUNT(*) FROM email_outbox GROUP BY status")}


# ------------------------------------------------------------------------------ test data

_numbers = itertools.count(1)
_numbers_lock = threading.Lock()


def next_n():
    with _numbers_lock:
        return next(_numbers)


def credit_code(n, prefix="91150100MA"):
    cs = "0123456789ABCDEFGHJKLMNPQRTUWXY"
    w = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]
    s = f"{prefix}{n:06d}Y"
    return s + cs[(31 - sum(cs.index(c) * w[i] for i, c in enumerate(s)) % 31) % 31]


def registration(n, kind, tag="faults"):
    """The body of POST /auth/register for organisation number n."""
    names = {"enterprise": "故障注入测试企业{}号有限公司", "university": "故障注入测试大学{}号",
             "institute": "故障注入测试研究院{}号"}
    return {"email": f"{tag}{n}@{tag}.jiebang.cn", "password": PASSWORD, "name": "压测用户",
            "organization": {"name": names[kind].format(n), "kind": kind, "credit_code": credit_code(n),
                             "region_code": "150100"}}


def register_verified(base, official, kind, tag="faults"):
    """Set-up: a verified organisation and its admin's token: (org_id, email, token)."""
    body = registration(next_n(), kind, tag)
    org = ok(base, "POST", API + "/auth/register", body=body)["organization"]["id"]
    ok(base, "POST", f"{API}/organizations/{org}/verify", official, {})
    return org, body["email"], login(base, body["email"])


def challenge_body(title, deadline=None, questions_deadline=None):
    deadline = deadline or now_utc() + datetime.timedelta(days=30)
    questions_deadline = questions_deadline or deadline - datetime.timedelta(seconds=1)
    return {
        "title": title, "kind": "tech_breakthrough", "mode": "open", "industry": "新能源",
        "problem": "故障注入测试：在进程被杀、数据库重启、邮件服务中断时，已确认的写入一条不丢、一条不半途。",
        "kpis": [{"name": "产氢量", "target": "≥1000", "unit": "Nm³/h"}], "duration_months": 12,
        "enterprise_funds": 2_000_000, "fiscal_support": 1_000_000, "ip_ownership": "shared",
        "bidding_deadline": deadline.replace(microsecond=0).isoformat(),
        "questions_deadline": questions_deadline.replace(microsecond=0).isoformat(),
        "contact": {"name": "联系人", "phone": "0471-5550000", "email": "contact@faults.jiebang.cn"},
    }


BID = {"approach": "采用宽功率碱性电解槽，结合功率预测与多槽协同调度，实现快速响应与稳定运行。",
       "kpi_answers": [{"kpi_id": "kpi-1", "value": "1200"}], "milestones": [{"month": 6, "deliverable": "样机"}],
       "chief_scientist": {"name": "乌云", "title": "教授", "organization": "故障注入测试大学"},
       "requested_fiscal": 500_000, "own_funds": 100_000}


def publish(base, publisher, official, title, deadline=None, questions_deadline=None):
    """Set-up: a published challenge; returns its id."""
    cid = ok(base, "POST", API + "/challenges", publisher, challenge_body(title, deadline, questions_deadline))["id"]
    ok(base, "POST", f"{API}/challenges/{cid}/submit", publisher, {})
    ok(base, "POST", f"{API}/challenges/{cid}/review", official, {"decision": "approve"})
    return cid


# ------------------------------------------------------------------- ledger and mixed writes

class Ledger:
    """Every acknowledged (2xx) write: kind, object id and what to check; also written to
    FAULTS_DIR/ledger.jsonl as it grows."""

    def __init__(self):
        self.entries = []
        self.lock = threading.Lock()
        self.file = open(os.path.join(DIR, "ledger.jsonl"), "a", encoding="utf-8")

    def add(self, kind, id, **extra):
        e = {"kind": kind, "id": id, "at": time.time(), **extra}
        with self.lock:
            self.entries.append(e)
            self.file.write(json.dumps(e, ensure_ascii=False) + "\n")
            self.file.flush()

    def counts(self):
        return collections.Counter(e["kind"] for e in self.entries)


class Statuses:
    """Every answer the load got, by request kind, with its time (for outage windows)."""

    def __init__(self):
        self.lock = threading.Lock()
        self.events = []  # (time, kind, label, status, content-type)

    def add(self, kind, r):
        with self.lock:
            self.events.append((time.time(), kind, r.label(), r.status, r.headers.get("content-type", "")))

    def counter(self, since=0.0, until=float("inf")):
        with self.lock:
            return collections.Counter(e[2] for e in self.events if since <= e[0] <= until)


class MixedWriters:
    """The mixed write load of killnine and pg_restart. Each writer thread repeats: register an
    organisation (university), an official verifies it, its admin logs in, asks a question on
    the published challenge, creates a bid on it and submits it, creates a draft challenge (with
    an Idempotency-Key, retried with the same key when the answer is lost) and PATCHes it with
    its version. Every 2xx goes to the ledger. 429/503 are retried (nothing was applied); no
    answer or another 5xx abandons the round (the write is in doubt: not in the ledger)."""

    def __init__(self, server, official, challenge_id, ledger, statuses, stop):
        self.server, self.official, self.cid = server, official, challenge_id
        self.ledger, self.statuses, self.stop = ledger, statuses, stop
        self.in_doubt = collections.Counter()
        self.lock = threading.Lock()

    def wait_up(self, limit=120):
        end = time.time() + limit
        while time.time() < end and not self.stop.is_set():
            if call(self.server.base, "GET", "/healthz", timeout=2).status == 200:
                return
            time.sleep(0.2)

    def step(self, kind, method, path, token=None, body=None, headers=None, tries=40):
        """The answer if 2xx, else None (after retrying what was surely not applied)."""
        for _ in range(tries):
            r = call(self.server.base, method, path, token, body, headers)
            self.statuses.add(kind, r)
            if r.ok:
                return r
            if r.status in (429, 503):
                time.sleep(r.retry_after())
                continue
            if r.status is None or r.status >= 500:
                with self.lock:
                    self.in_doubt[kind] += 1
                self.wait_up()
            return None
        return None

    def run(self, wid):
        while not self.stop.is_set():
            try:
                self.round(wid)
            except Exception as e:  # a bug in the script must not stop the load silently
                log(f"writer {wid}: {type(e).__name__}: {e}")
                time.sleep(0.5)

    def round(self, wid):
        n = next_n()
        reg = registration(n, "university", "w")
        r = self.step("register", "POST", API + "/auth/register", body=reg)
        if not r:
            return
        org, user = r.body["organization"]["id"], r.body["user"]["id"]
        self.ledger.add("register", org, user=user, email=reg["email"])
        if not self.step("verify", "POST", f"{API}/organizations/{org}/verify", self.official, {}):
            return
        self.ledger.add("verify", org)
        r = self.step("login", "POST", API + "/auth/login", body={"email": reg["email"], "password": PASSWORD})
        if not r:
            return
        token = r.body["access_token"]
        r = self.step("question", "POST", f"{API}/challenges/{self.cid}/questions", token,
                      {"question": f"第{n}号提问：示范项目是否提供氢源与场地？"})
        if not r:
            return
        self.ledger.add("question", r.body["id"])
        r = self.step("bid", "POST", f"{API}/challenges/{self.cid}/bids", token, BID)
        if not r:
            return
        bid = r.body["id"]
        self.ledger.add("bid", bid)
        if not self.step("submit", "POST", f"{API}/bids/{bid}/submit", token, {}):
            return
        self.ledger.add("submit", bid)
        key = f"faults-{n}"
        body = challenge_body(f"故障注入草稿榜单 {key}")
        r = None
        for _ in range(5):  # the same key: a lost answer is replayed, never created twice
            r = self.step("challenge", "POST", API + "/challenges", token, body, {"Idempotency-Key": key})
            if r or self.stop.is_set():
                break
        if not r:
            return
        cid, version = r.body["id"], r.body["version"]
        self.ledger.add("challenge", cid, key=key)
        mark = f"[{key}]"
        r = self.step("update", "PATCH", f"{API}/challenges/{cid}", token,
                      {"version": version, "expected_outcomes": f"预期成果 {mark}"})
        if r:
            self.ledger.add("update", cid, mark=mark, version=r.body["version"])


def check_ledger(ledger):
    """Every ledger entry read back from the database: the list of lost entries."""
    orgs = {i: s for i, s in query("SELECT id, status FROM organizations")}
    users = {i: o for i, o in query("SELECT id, organization_id FROM users")}
    questions = {i for (i,) in query("SELECT id FROM questions")}
    bids = {i: s for i, s in query("SELECT id, status FROM bids")}
    challenges = {i: (t, o or "", int(v)) for i, t, o, v in
                  query("SELECT id, title, expected_outcomes, version FROM challenges")}
    titles = collections.Counter(t for t, _, _ in challenges.values())
    lost = []
    for e in ledger.entries:
        k, i = e["kind"], e["id"]
        ok_ = {
            "register": lambda: orgs.get(i) is not None and users.get(e["user"]) == i,
            "verify": lambda: orgs.get(i) == "verified",
            "question": lambda: i in questions,
            "bid": lambda: i in bids,
            "submit": lambda: bids.get(i) == "submitted",
            # created once: one challenge per Idempotency-Key
            "challenge": lambda: i in challenges and titles[challenges[i][0]] == 1,
            "update": lambda: i in challenges and e["mark"] in challenges[i][1] and challenges[i][2] >= e["version"],
        }[k]()
        if not ok_:
            lost.append(e)
    return lost


def check_half_applied():
    """Invariants between rows written in one transaction, over the whole database: a list of
    problems (each a short text)."""
    audit = collections.Counter((t, o, a) for t, o, a in query(
        "SELECT object_type, object_id, action FROM audit_log"))
    audited = collections.defaultdict(set)
    for (t, o, _a) in audit:
        audited[t].add(o)
    orgs = {i: s for i, s in query("SELECT id, status FROM organizations")}
    users = {i: (o, r) for i, o, r in query("SELECT id, organization_id, role FROM users")}
    org_users = collections.defaultdict(list)
    for u, (o, _r) in users.items():
        if o:
            org_users[o].append(u)
    challenges = {i: (s, int(v)) for i, s, v in query("SELECT id, status, version FROM challenges")}
    questions = {i for (i,) in query("SELECT id FROM questions")}
    bids = {i: (s, l) for i, s, l in query("SELECT id, status, lead_organization_id FROM bids")}
    receipts = {(u, l) for u, l in query("SELECT user_id, link FROM notifications WHERE kind = 'bid_submitted'")}
    mails = collections.Counter(u for (u,) in query("SELECT user_id FROM email_outbox WHERE kind = 'bid_submitted'"))
    notes = collections.Counter((u, k) for u, k in query("SELECT user_id, kind FROM notifications"))
    emails = collections.Counter((u, k) for u, k in query("SELECT user_id, kind FROM email_outbox"))
    problems = []

    def bad(msg):
        problems.append(msg)

    for o, s in orgs.items():
        if not org_users[o]:
            bad(f"organisation {o} without a user")
        if audit[("organization", o, "register")] != 1:
            bad(f"organisation {o}: {audit[('organization', o, 'register')]} register entries")
        if (s == "verified") != (audit[("organization", o, "verify")] == 1):
            bad(f"organisation {o} is {s} with {audit[('organization', o, 'verify')]} verify entries")
    for u, (o, r) in users.items():
        if r == "org_admin" and audit[("user", u, "register")] != 1:
            bad(f"user {u}: {audit[('user', u, 'register')]} register entries")
    for c, (s, v) in challenges.items():
        if audit[("challenge", c, "create")] != 1:
            bad(f"challenge {c}: {audit[('challenge', c, 'create')]} create entries")
        if s == "draft" and audit[("challenge", c, "update")] != v - 1:
            bad(f"draft challenge {c}: version {v} but {audit[('challenge', c, 'update')]} update entries")
    for q in questions:
        if audit[("question", q, "ask")] != 1:
            bad(f"question {q}: {audit[('question', q, 'ask')]} ask entries")
    receipts_by_user = collections.Counter(u for u, _ in receipts)
    receipt_of = {l.rsplit("/bids/", 1)[1]: u for u, l in receipts if "/bids/" in l}
    for b, (s, lead) in bids.items():
        if audit[("bid", b, "create")] != 1:
            bad(f"bid {b}: {audit[('bid', b, 'create')]} create entries")
        submitted = audit[("bid", b, "submit")]
        if (s == "submitted") != (submitted == 1):
            bad(f"bid {b} is {s} with {submitted} submit entries")
        if s == "submitted" and not any(receipt_of.get(b) == u for u in org_users[lead]):
            bad(f"submitted bid {b} without its in-app receipt")
    # one e-mail receipt per in-app receipt (e-mail preferences are left at their default: on)
    for u, n in receipts_by_user.items():
        if mails[u] != n:
            bad(f"user {u}: {n} in-app bid receipts but {mails[u]} e-mailed")
    for key, n in emails.items():
        if notes[key] < n:
            bad(f"user {key[0]}: {n} e-mails of kind {key[1]} but {notes[key]} in-app notifications")
    # the other way: an audit entry for an object that is not there
    exists = {"organization": orgs, "user": users, "challenge": challenges, "question": questions, "bid": bids}
    for t, objs in exists.items():
        for o in audited.get(t, ()):
            if o not in objs:
                bad(f"audit entries for a missing {t} {o}")
    return problems


class Bidders:
    """Verified bidding organisations (universities), made as they are needed: an organisation
    leads at most 3 live bids (限项), so each is used for 3 bids, then a new one is registered."""

    def __init__(self, bases, official, tag="bidder"):
        self.bases, self.official, self.tag = bases, official, tag
        self.local = threading.local()

    def token(self):
        me = self.local
        if getattr(me, "uses", 3) >= 3:
            _, _, me.token = register_verified(random.choice(self.bases), self.official, "university", self.tag)
            me.uses = 0
        me.uses += 1
        return me.token


# ---------------------------------------------------------------------------- the result

def result(title, rows, passed, notes=()):
    """Prints the result block and exits 0 (PASS) or 1 (FAIL)."""
    width = max(len(k) for k, _ in rows) if rows else 0
    print(f"\n== {title} ({BACKEND}) ==")
    for k, v in rows:
        print(f"  {k.ljust(width)}  {v}")
    for n in notes:
        print(f"  - {n}")
    print("PASS" if passed else "FAIL")
    sys.stdout.flush()
    sys.exit(0 if passed else 1)


def fmt_counter(c):
    return ", ".join(f"{k}: {v}" for k, v in sorted(c.items(), key=lambda kv: (-kv[1], str(kv[0])))) or "none"
