#!/usr/bin/env python3
"""SMTP unreachable for MINUTES under load: no e-mail lost, none sent twice.

The server runs with JIEBANG_SMTP_URL=smtp://127.0.0.1:PORT where nothing listens, a short
first retry (JIEBANG_MAIL_RETRY_SECONDS=RETRY_SECONDS, default 5, doubling up to an hour) and
enough attempts that no message gives up during the outage (JIEBANG_MAIL_MAX_ATTEMPTS,
computed from MINUTES and printed). For MINUTES (default 10) CLIENTS threads (default 4) make
e-mail-producing changes: a challenge submitted (to the officials) and approved (to the
publisher), a bid submitted (receipt to the bidder), a question answered (to the asker and the
bidders), a consortium filed (to its lead). Then an SMTP sink (Debian's aiosmtpd,
tests/smtp_sink.py) starts on PORT, recording every message's Message-ID, and the script waits
until email_outbox has no pending row (at most 2 × MINUTES + 10 min: retries back off, so a
long outage also takes a while to drain). Reported: enqueued (rows of email_outbox), delivered
(status sent), failed, received by the sink, unique Message-IDs, duplicates, lost (enqueued
but never received), and how long the queue took to drain.
PASS: something was enqueued, nothing was delivered during the outage, 0 pending, 0 failed,
0 lost, 0 duplicates, nothing received that was not enqueued.

Usage: scripts/faults.sh smtp_outage [sqlite|postgres] [MINUTES] [CLIENTS] [RETRY_SECONDS]
"""
import collections
import random
import sys
import threading
import time

import common as c

MINUTES = float(sys.argv[1]) if len(sys.argv) > 1 else 10
CLIENTS = int(sys.argv[2]) if len(sys.argv) > 2 else 4
RETRY = int(sys.argv[3]) if len(sys.argv) > 3 else 5
PAUSE = 0.5  # seconds between one client's actions


def max_attempts(outage, retry):
    """Attempts enough that the last one falls well after the outage: the k-th attempt comes
    retry · (2^(k-1) - 1) s after the first."""
    n = 1
    while retry * (2 ** (n - 1) - 1) < 2 * outage + 120:
        n += 1
    return n + 1


def main():
    c.need_driver()
    outage = MINUTES * 60
    sink = c.Sink()
    attempts = max_attempts(outage, RETRY)
    server = c.Server("server", {"JIEBANG_SMTP_URL": sink.url, "JIEBANG_MAIL_RETRY_SECONDS": RETRY,
                                 "JIEBANG_MAIL_MAX_ATTEMPTS": attempts, "JIEBANG_OUTBOX_INTERVAL_MS": 500})
    server.start()
    try:
        run(server, sink, outage, attempts)
    finally:
        server.stop()
        sink.stop()


class Load:
    """The e-mail-producing actions, each acknowledged one counted by kind."""

    def __init__(self, base, official, stop):
        self.base, self.official, self.stop = base, official, stop
        self.publishers = [c.register_verified(base, official, "enterprise", "pub") for _ in range(2)]
        self.member = c.register_verified(base, official, "institute", "member")[0]
        self.open = [c.publish(base, p[2], official, f"邮件中断测试榜单 {i}") for i, p in enumerate(self.publishers)]
        self.bidders = c.Bidders([base], official)
        self.done = collections.Counter()
        self.refused = collections.Counter()
        self.lock = threading.Lock()

    def call(self, kind, method, path, token, body=None):
        for _ in range(20):
            r = c.call(self.base, method, path, token, body)
            if r.ok:
                return r.body
            if r.status in (429, 503):
                time.sleep(r.retry_after())
                continue
            break
        with self.lock:
            self.refused[f"{kind} {r.label()}"] += 1
        return None

    def count(self, kind):
        with self.lock:
            self.done[kind] += 1

    def challenge(self):
        org, _, token = random.choice(self.publishers)
        ch = self.call("create", "POST", c.API + "/challenges", token, c.challenge_body("邮件中断测试：新发布的榜单"))
        if ch and self.call("submit", "POST", f"{c.API}/challenges/{ch['id']}/submit", token, {}):
            self.count("challenge submitted")
            if self.call("review", "POST", f"{c.API}/challenges/{ch['id']}/review", self.official, {"decision": "approve"}):
                self.count("challenge approved")
                with self.lock:
                    self.open.append(ch["id"])

    def bid(self):
        token = self.bidders.token()
        with self.lock:
            cid = random.choice(self.open)
        b = self.call("bid", "POST", f"{c.API}/challenges/{cid}/bids", token, c.BID)
        if b and self.call("submit bid", "POST", f"{c.API}/bids/{b['id']}/submit", token, {}):
            self.count("bid submitted")

    def question(self):
        token = self.bidders.token()
        i = random.randrange(len(self.publishers))
        cid = self.open[i]  # the first challenges belong to publisher i
        q = self.call("ask", "POST", f"{c.API}/challenges/{cid}/questions", token, {"question": "示范项目是否提供氢源与场地？"})
        if q and self.call("answer", "POST", f"{c.API}/questions/{q['id']}/answer", self.publishers[i][2],
                           {"answer": "提供，示范场地位于包头市稀土高新区。"}):
            self.count("question answered")

    def consortium(self):
        _, _, token = random.choice(self.publishers)
        body = {"name": "邮件中断测试创新联合体", "industry_direction": "氢能", "members": [self.member]}
        k = self.call("consortium", "POST", c.API + "/consortia", token, body)
        if k and self.call("file", "POST", f"{c.API}/consortia/{k['id']}/file", token, {}):
            self.count("consortium filed")

    def run(self):
        actions = [self.challenge, self.bid, self.bid, self.question, self.consortium]
        while not self.stop.is_set():
            try:
                random.choice(actions)()
            except Exception as e:
                c.log(f"load: {type(e).__name__}: {e}")
            self.stop.wait(PAUSE)


def run(server, sink, outage, attempts):
    official = c.login(server.base, c.OFFICIAL)
    stop = threading.Event()
    load = Load(server.base, official, stop)
    c.log(f"SMTP at {sink.url} is down; load for {outage:.0f} s "
          f"(retry {RETRY} s doubling, at most {attempts} attempts)")
    threads = [threading.Thread(target=load.run, daemon=True) for _ in range(CLIENTS)]
    started = time.time()
    for t in threads:
        t.start()
    while time.time() - started < outage:
        time.sleep(min(30.0, max(0.0, started + outage - time.time())))
        c.log(f"outage {time.time() - started:.0f} s: outbox {c.outbox_counts()}")
    stop.set()
    for t in threads:
        t.join(120)
    during = c.outbox_counts()

    sink.start()
    back = time.time()
    c.log(f"SMTP sink up on {sink.url}; waiting for the outbox to drain")
    limit = 2 * outage + 600
    last = 0.0
    while True:
        counts = c.outbox_counts()
        if counts.get("pending", 0) == 0 or time.time() - back > limit:
            break
        if time.time() - last > 30:
            c.log(f"draining: outbox {counts}, sink {len(sink.message_ids())} received")
            last = time.time()
        time.sleep(1)
    drained = time.time() - back
    time.sleep(2)  # anything still on the wire
    received = sink.message_ids()
    rows = {c.strip_mid(m): s for m, s in c.query("SELECT message_id, status FROM email_outbox")}
    got = collections.Counter(received)
    dups = sum(n - 1 for n in got.values() if n > 1)
    lost = [m for m in rows if m not in got]
    foreign = [m for m in got if m not in rows]
    status = collections.Counter(rows.values())
    passed = (len(rows) > 0 and during.get("sent", 0) == 0 and status.get("pending", 0) == 0
              and status.get("failed", 0) == 0 and not lost and dups == 0 and not foreign)
    notes = [f"lost: {m} ({rows[m]})" for m in lost[:5]] + [f"received but never enqueued: {m}" for m in foreign[:5]]
    if not passed:
        notes.append("server log, errors and warnings:\n" + server.problems())
    c.result("smtp_outage: SMTP unreachable under load", [
        ("outage", f"{outage:.0f} s, {CLIENTS} clients; retry {RETRY} s doubling, max {attempts} attempts"),
        ("actions acknowledged", c.fmt_counter(load.done)),
        ("refused actions", c.fmt_counter(load.refused)),
        ("outbox at the end of the outage", c.fmt_counter(during)),
        ("drained after SMTP came back", f"{drained:.0f} s" + ("" if status.get("pending", 0) == 0 else " (gave up)")),
        ("enqueued", len(rows)),
        ("delivered (sent)", status.get("sent", 0)),
        ("failed / pending", f"{status.get('failed', 0)} / {status.get('pending', 0)}"),
        ("received by the sink", len(received)),
        ("unique Message-IDs", len(got)),
        ("duplicates", dups),
        ("lost", len(lost)),
        ("received, never enqueued", len(foreign)),
    ], passed, notes)


main()
