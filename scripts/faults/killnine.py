#!/usr/bin/env python3
"""kill -9 of the server under a mixed write load, then restart: nothing acknowledged is lost,
nothing is half-applied.

WRITERS threads (default 8) run the mixed write load of common.MixedWriters against one
server: register an organisation, verify it (official), ask a question on a published
challenge, create a bid on it and submit it, create a draft challenge (Idempotency-Key) and
PATCH it with its version. Every acknowledged (2xx) write goes to a ledger (kind + id). During
SECONDS (default 120) the server is killed with SIGKILL KILLS times (default 3) at random
moments and restarted at once; the writers keep going. Afterwards, against the database:
  - lost: ledger entries not found as acknowledged (the row, its state, the PATCHed text, one
    challenge per Idempotency-Key);
  - half-applied: rows of one transaction without the others, over the whole database (an
    organisation without its user or its audit entries, a challenge, question or bid without
    its audit entry, a draft whose version does not match its update entries, a submitted bid
    without its submit entry or its receipt (in-app and e-mail), an e-mail without its in-app
    notification, an audit entry for a missing object).
PASS: every kill happened, something was acknowledged, 0 lost, 0 half-applied.

Usage: scripts/faults.sh killnine [sqlite|postgres] [SECONDS] [WRITERS] [KILLS]
"""
import random
import sys
import threading
import time

import common as c

SECONDS = float(sys.argv[1]) if len(sys.argv) > 1 else 120
WRITERS = int(sys.argv[2]) if len(sys.argv) > 2 else 8
KILLS = int(sys.argv[3]) if len(sys.argv) > 3 else 3


def main():
    c.need_driver()
    server = c.Server("server")
    server.start()
    try:
        run(server)
    finally:
        server.stop()


def run(server):
    base = server.base
    official = c.login(base, c.OFFICIAL)
    _, _, publisher = c.register_verified(base, official, "enterprise", "pub")
    cid = c.publish(base, publisher, official, "故障注入：进程被杀时的揭榜与答疑")
    ledger, statuses, stop = c.Ledger(), c.Statuses(), threading.Event()
    writers = c.MixedWriters(server, official, cid, ledger, statuses, stop)
    threads = [threading.Thread(target=writers.run, args=(w,), daemon=True) for w in range(WRITERS)]
    started = time.time()
    for t in threads:
        t.start()
    # the kills: random moments within the middle 80 % of the run, at least 3 s apart
    moments = sorted(random.uniform(0.1, 0.9) * SECONDS for _ in range(KILLS))
    for i in range(1, len(moments)):
        moments[i] = max(moments[i], moments[i - 1] + 3)
    kills, restarts = [], []
    for at in moments:
        time.sleep(max(0.0, started + at - time.time()))
        before = len(ledger.entries)
        server.kill9()
        kills.append(round(time.time() - started, 1))
        c.log(f"kill -9 at {kills[-1]} s ({before} writes acknowledged so far)")
        restarts.append(server.start())
    time.sleep(max(0.0, started + SECONDS - time.time()))
    stop.set()
    for t in threads:
        t.join(120)
    elapsed = time.time() - started

    lost = c.check_ledger(ledger)
    half = c.check_half_applied()
    acked = ledger.counts()
    answers = statuses.counter()
    passed = len(kills) == KILLS and len(ledger.entries) > 0 and not lost and not half
    notes = [f"lost: {e}" for e in lost[:5]] + [f"half-applied: {p}" for p in half[:5]]
    if not passed:
        notes.append("server log, errors and warnings:\n" + server.problems())
    c.result("killnine: kill -9 under a mixed write load", [
        ("duration", f"{elapsed:.0f} s, {WRITERS} writers"),
        ("kills (s after start)", f"{len(kills)} at {kills}; back up in " +
         ", ".join(f"{r:.1f} s" for r in restarts)),
        ("acknowledged writes", f"{len(ledger.entries)} ({c.fmt_counter(acked)})"),
        ("in doubt (no answer/5xx)", f"{sum(writers.in_doubt.values())} ({c.fmt_counter(writers.in_doubt)})"),
        ("answers", c.fmt_counter(answers)),
        ("lost", len(lost)),
        ("half-applied", len(half)),
    ], passed, notes)


main()
