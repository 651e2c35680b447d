#!/usr/bin/env python3
"""Three instances on one PostgreSQL for MINUTES of mixed load: every deadline closed once,
every e-mail sent once, consortium numbers gap-free, no lost update.

Three servers on different ports share one PostgreSQL database, one JWT secret and one SMTP
sink (Debian's aiosmtpd, tests/smtp_sink.py); every instance runs its scheduler (every 200 ms)
and its outbox worker (every 200 ms). For MINUTES (default 10) CLIENTS threads (default 6)
send each request to a random instance:
  - publish: a challenge with its bidding deadline 10–60 s ahead (JIEBANG_MIN_BIDDING_HOURS=0),
    created, submitted and approved through different instances;
  - bid: a bid created and submitted on an open challenge, often the one closing next (to race
    the close);
  - consortium: a consortium created and filed (its registration number NMCX-<year>-<nnnn>);
  - patch: read-modify-write of a shared draft challenge: GET its version and text, PATCH with
    `version` and one more mark appended (409 version_conflict is a fair answer).
Then it waits until every deadline has passed and been closed and the outbox is empty, and
checks in the database:
  - every published challenge has exactly one `close` entry in audit_log;
  - every acknowledged bid submission is handed in with submitted_at before the deadline, and
    no bid is handed in without an acknowledgement;
  - every e-mail of email_outbox reached the sink exactly once (by Message-ID), none failed;
  - the registration numbers of each year are 1…N with no gap or repeat, and each
    acknowledged filing kept the number it was answered;
  - every acknowledged PATCH is in the final text (no lost update), no refused one is, and each
    draft's version is 1 + its acknowledged PATCHes.
PASS: all of the above, and no 5xx other than 503 and no request without an answer.

Usage: scripts/faults.sh instances [postgres] [MINUTES] [CLIENTS]
"""
import collections
import datetime
import random
import re
import sys
import threading
import time

import common as c

MINUTES = float(sys.argv[1]) if len(sys.argv) > 1 else 10
CLIENTS = int(sys.argv[2]) if len(sys.argv) > 2 else 6
DRAFTS = 3  # drafts PATCHed at once by every client (contention makes the conflicts)


def main():
    c.need_driver()
    if c.BACKEND != "postgres":
        sys.exit("instances runs on PostgreSQL only")
    sink = c.Sink()
    sink.start()
    env = {"JIEBANG_SMTP_URL": sink.url, "JIEBANG_SCHEDULER_INTERVAL_MS": 200,
           "JIEBANG_OUTBOX_INTERVAL_MS": 200, "JIEBANG_MAIL_RETRY_SECONDS": 1}
    servers = [c.Server(f"instance{i}", env) for i in range(3)]
    try:
        for s in servers:
            s.start()
        run(servers, sink)
    finally:
        for s in servers:
            s.stop()
        sink.stop()


class Load:
    def __init__(self, servers, official, stop):
        self.bases = [s.base for s in servers]
        self.official, self.stop = official, stop
        self.lock = threading.Lock()
        base = self.bases[0]
        self.publishers = [c.register_verified(base, official, "enterprise", "pub") for _ in range(3)]
        self.members = [c.register_verified(base, official, "institute", "member")[0] for _ in range(3)]
        self.bidders = c.Bidders(self.bases, official)
        self.published = []  # (challenge id, deadline)
        self.drafts = [self.new_draft() for _ in range(DRAFTS)]
        self.patched = collections.defaultdict(list)  # draft id -> acknowledged marks
        self.refused_marks = collections.defaultdict(list)  # draft id -> marks answered 409
        self.submits = []  # acknowledged bid submissions: (bid id, challenge id)
        self.filed = {}  # consortium id -> registration number answered
        self.answers = collections.Counter()  # "action label" of every answer
        self.unanswered = collections.Counter()

    def base(self):
        return random.choice(self.bases)

    def call(self, kind, method, path, token, body=None):
        """The body of a 2xx answer, else None; 429/503 retried."""
        for _ in range(30):
            r = c.call(self.base(), method, path, token, body)
            with self.lock:
                self.answers[f"{kind} {r.label()}"] += 1
            if r.ok:
                return r.body
            if r.status in (429, 503):
                time.sleep(r.retry_after())
                continue
            if r.status is None:
                with self.lock:
                    self.unanswered[kind] += 1
            return None
        return None

    def new_draft(self):
        token = self.publishers[0][2]
        return c.ok(self.base(), "POST", c.API + "/challenges", token, c.challenge_body("多实例并发修改测试草稿"))["id"]

    # ---- actions

    def publish(self):
        _, _, token = random.choice(self.publishers)
        deadline = c.now_utc() + datetime.timedelta(seconds=random.uniform(10, 60))
        ch = self.call("create", "POST", c.API + "/challenges", token, c.challenge_body(
            "多实例测试：截止时刻由调度器关闭", deadline, deadline - datetime.timedelta(seconds=1)))
        if ch and self.call("submit", "POST", f"{c.API}/challenges/{ch['id']}/submit", token, {}) and \
                self.call("review", "POST", f"{c.API}/challenges/{ch['id']}/review", self.official, {"decision": "approve"}):
            with self.lock:
                self.published.append((ch["id"], deadline))

    def bid(self):
        now = c.now_utc()
        with self.lock:
            open_ = sorted((d, i) for i, d in self.published if d > now + datetime.timedelta(seconds=0.5))
        if not open_:
            return self.publish()
        _, cid = open_[0] if random.random() < 0.3 else random.choice(open_)
        token = self.bidders.token()
        b = self.call("bid", "POST", f"{c.API}/challenges/{cid}/bids", token, c.BID)
        if b and self.call("submit bid", "POST", f"{c.API}/bids/{b['id']}/submit", token, {}):
            with self.lock:
                self.submits.append((b["id"], cid))

    def consortium(self):
        _, _, token = random.choice(self.publishers)
        body = {"name": "多实例测试创新联合体", "industry_direction": "氢能",
                "members": random.sample(self.members, random.randint(1, len(self.members)))}
        k = self.call("consortium", "POST", c.API + "/consortia", token, body)
        if k:
            f = self.call("file", "POST", f"{c.API}/consortia/{k['id']}/file", token, {})
            if f:
                with self.lock:
                    self.filed[k["id"]] = f["registration_no"]

    def patch(self):
        token = self.publishers[0][2]
        for _ in range(3):
            with self.lock:
                cid = random.choice(self.drafts)
            cur = self.call("read draft", "GET", f"{c.API}/challenges/{cid}", token)
            if not cur:
                continue
            text = cur.get("expected_outcomes") or ""
            if len(text) > 2600:  # the field holds 3000 characters: a fresh draft takes its place
                fresh = self.new_draft()
                with self.lock:
                    if cid in self.drafts:
                        self.drafts[self.drafts.index(cid)] = fresh
                continue
            mark = f"[m{c.next_n()}]"
            r = c.call(self.base(), "PATCH", f"{c.API}/challenges/{cid}", token,
                       {"version": cur["version"], "expected_outcomes": (text + " " + mark).strip()})
            with self.lock:
                self.answers[f"patch {r.label()}"] += 1
                if r.ok:
                    self.patched[cid].append(mark)
                elif r.code == "version_conflict":
                    self.refused_marks[cid].append(mark)
                elif r.status is None:
                    self.unanswered["patch"] += 1
                    self.patched[cid]  # in doubt: the draft is still checked, the mark is neither

    def run(self):
        actions = [self.publish] + [self.bid] * 3 + [self.consortium] * 2 + [self.patch] * 2
        while not self.stop.is_set():
            try:
                random.choice(actions)()
            except Exception as e:
                c.log(f"load: {type(e).__name__}: {e}")
                time.sleep(0.5)


def wait_until(what, cond, limit):
    end = time.time() + limit
    while time.time() < end:
        if cond():
            return True
        time.sleep(1)
    c.log(f"gave up waiting for {what}")
    return False


def run(servers, sink):
    official = c.login(servers[0].base, c.OFFICIAL)
    stop = threading.Event()
    load = Load(servers, official, stop)
    duration = MINUTES * 60
    c.log(f"3 instances on {', '.join(s.base for s in servers)}; load for {duration:.0f} s")
    threads = [threading.Thread(target=load.run, daemon=True) for _ in range(CLIENTS)]
    started = time.time()
    for t in threads:
        t.start()
    while time.time() - started < duration:
        time.sleep(min(30.0, max(0.0, started + duration - time.time())))
        c.log(f"{time.time() - started:.0f} s: {len(load.published)} published, {len(load.submits)} bids in, "
              f"{len(load.filed)} consortia filed, {sum(map(len, load.patched.values()))} patches")
    stop.set()
    for t in threads:
        t.join(120)

    # every deadline passes and is closed; then the last e-mails go out
    last = max((d for _, d in load.published), default=c.now_utc())
    time.sleep(max(0.0, (last - c.now_utc()).total_seconds()))
    wait_until("the closes", lambda: int(c.scalar("SELECT COUNT(*) FROM challenges WHERE status = 'published'")) == 0, 120)
    wait_until("the outbox", lambda: c.outbox_counts().get("pending", 0) == 0, 600)
    time.sleep(2)

    # deadlines: one close each
    audit = collections.Counter((o, a) for o, a in c.query(
        "SELECT object_id, action FROM audit_log WHERE object_type = 'challenge' AND action IN ('approve', 'close')"))
    published = [o for (o, a) in audit if a == "approve"]
    closes = collections.Counter(min(audit[(o, "close")], 2) for o in published)
    # bids
    rows = {i: (s, int(before)) for i, s, before in c.query(
        "SELECT b.id, b.status, CASE WHEN b.submitted_at < c.bidding_deadline THEN 1 ELSE 0 END "
        "FROM bids b JOIN challenges c ON c.id = b.challenge_id")}
    acked = {b for b, _ in load.submits}
    bids_missing = [b for b in acked if rows.get(b, ("?", 0))[0] not in ("submitted", "ineligible")]
    bids_late = [b for b in acked if rows.get(b, ("?", 1))[1] != 1]
    handed_unacked = [b for b, (s, _) in rows.items() if s in ("submitted", "ineligible") and b not in acked]
    # e-mails
    outbox = {c.strip_mid(m): s for m, s in c.query("SELECT message_id, status FROM email_outbox")}
    got = collections.Counter(sink.message_ids())
    mail_status = collections.Counter(outbox.values())
    dups = sum(n - 1 for n in got.values() if n > 1)
    mail_lost = [m for m in outbox if m not in got]
    # consortium numbers
    numbers = collections.defaultdict(list)
    stored = {i: n for i, n in c.query("SELECT id, registration_no FROM consortia WHERE registration_no IS NOT NULL")}
    for no in stored.values():
        m = re.fullmatch(r"NMCX-(\d{4})-(\d{4,})", no)
        numbers[m.group(1) if m else "?"].append(int(m.group(2)) if m else -1)
    gaps = {y: sorted(set(range(1, len(ns) + 1)) - set(ns)) for y, ns in numbers.items()}
    repeats = sum(len(ns) - len(set(ns)) for ns in numbers.values())
    gap_count = sum(len(g) for g in gaps.values())
    changed = [i for i, no in load.filed.items() if stored.get(i) != no]
    # lost updates
    drafts = {i: (int(v), o or "") for i, v, o in c.query(
        "SELECT id, version, expected_outcomes FROM challenges WHERE status = 'draft'")}
    updates = collections.Counter(o for (o,) in c.query(
        "SELECT object_id FROM audit_log WHERE object_type = 'challenge' AND action = 'update'"))
    lost_updates = phantom = version_off = 0
    for cid, marks in load.patched.items():
        v, text = drafts.get(cid, (0, ""))
        lost_updates += sum(1 for m in marks if m not in text)
        phantom += sum(1 for m in load.refused_marks.get(cid, []) if m in text)
        version_off += int(v != 1 + len(marks) or updates[cid] != len(marks))
    conflicts = sum(map(len, load.refused_marks.values()))
    server_errors = {k: n for k, n in load.answers.items() if re.search(r" 5\d\d", k) and " 503" not in k}

    passed = (len(published) > 0 and closes.get(1, 0) == len(published) and not bids_missing and not bids_late
              and not handed_unacked and len(outbox) > 0 and not mail_lost and dups == 0
              and mail_status.get("failed", 0) == 0 and mail_status.get("pending", 0) == 0
              and len(stored) > 0 and gap_count == 0 and repeats == 0 and not changed
              and lost_updates == 0 and phantom == 0 and version_off == 0
              and not server_errors and not load.unanswered)
    notes = []
    if server_errors or load.unanswered:
        notes.append(f"5xx: {server_errors}; no answer: {dict(load.unanswered)}")
    if not passed:
        for s in servers:
            notes.append(f"{s.name} log, errors and warnings:\n" + s.problems())
    c.result("instances: three instances on one PostgreSQL", [
        ("duration", f"{duration:.0f} s, {CLIENTS} clients, 3 instances"),
        ("challenges published", len(published)),
        ("closed once / twice or more / never", f"{closes.get(1, 0)} / {closes.get(2, 0)} / {closes.get(0, 0)}"),
        ("bid submissions acknowledged", f"{len(acked)} (missing {len(bids_missing)}, after the deadline "
                                         f"{len(bids_late)}, handed in unacknowledged {len(handed_unacked)})"),
        ("e-mails enqueued / sent / failed", f"{len(outbox)} / {mail_status.get('sent', 0)} / {mail_status.get('failed', 0)}"),
        ("e-mails received / unique / duplicates / lost", f"{sum(got.values())} / {len(got)} / {dups} / {len(mail_lost)}"),
        ("consortia filed", f"{len(stored)} ({len(load.filed)} acknowledged); per year " +
         ", ".join(f"{y}: 1..{max(ns)}" for y, ns in sorted(numbers.items()))),
        ("number gaps / repeats / changed", f"{gap_count} / {repeats} / {len(changed)}"),
        ("PATCHes acknowledged / 409 conflicts", f"{sum(map(len, load.patched.values()))} / {conflicts} "
                                                 f"on {len(load.patched)} drafts"),
        ("lost updates / refused but applied / version off", f"{lost_updates} / {phantom} / {version_off}"),
        ("answers", c.fmt_counter(collections.Counter({k: v for k, v in load.answers.items()
                                                        if not k.endswith((" 200", " 201"))})) + " (besides 2xx)"),
    ], passed, notes)


main()
