#!/usr/bin/env python3
"""PostgreSQL restarted under load: the service answers 503 meanwhile, recovers by itself and
loses nothing acknowledged.

One server on PostgreSQL; WRITERS threads (default 4) run the mixed write load of killnine
(common.MixedWriters, every 2xx in a ledger) and a prober reads GET /readyz and GET
/api/v1/challenges?limit=5 every 100 ms. During SECONDS (default 60) the local cluster is
restarted RESTARTS times (default 1), evenly spaced, with
    pg_ctlcluster --skip-systemctl-redirect <version> main restart
(FAULTS_PG_CLUSTER="15 main" to name another cluster). Every other database of that cluster
sees the restart too: the script refuses to start while other databases have sessions
(someone else's tests, say) unless FAULTS_FORCE=1. For each restart it reports how long the
restart took (pg_ctlcluster until pg_isready), every answer the service gave from the restart
until it recovered, and the time to recover: from PostgreSQL being back to the last failed
answer (5xx or none). At the end the ledger is checked like killnine's (lost, half-applied).
PASS: during and after the outage every 5xx is a 503 problem+json and every request is
answered; the service recovers within 30 s of PostgreSQL being back, with writes acknowledged
after it; 0 lost, 0 half-applied.

Usage: scripts/faults.sh pg_restart [postgres] [SECONDS] [WRITERS] [RESTARTS]
"""
import collections
import os
import subprocess
import sys
import threading
import time

import common as c

SECONDS = float(sys.argv[1]) if len(sys.argv) > 1 else 60
WRITERS = int(sys.argv[2]) if len(sys.argv) > 2 else 4
RESTARTS = int(sys.argv[3]) if len(sys.argv) > 3 else 1


def cluster():
    named = os.environ.get("FAULTS_PG_CLUSTER", "").split()
    if len(named) == 2:
        return named
    return [sorted(os.listdir("/etc/postgresql"))[0], "main"]


def restart_postgres():
    ver, name = cluster()
    subprocess.run(["pg_ctlcluster", "--skip-systemctl-redirect", ver, name, "restart"], check=True,
                   stdout=subprocess.DEVNULL)
    # back when it accepts connections again
    for _ in range(600):
        if subprocess.run(["pg_isready", "-q", "-h", "127.0.0.1", "-p", "5432"]).returncode == 0:
            return
        time.sleep(0.1)
    raise RuntimeError("PostgreSQL did not come back")


def others():
    """Sessions on other databases of the cluster, which the restart would cut off."""
    return c.query("SELECT datname, COUNT(*) FROM pg_stat_activity WHERE datname IS NOT NULL "
                   "AND datname <> current_database() AND pid <> pg_backend_pid() GROUP BY datname")


def main():
    c.need_driver()
    if c.BACKEND != "postgres":
        sys.exit("pg_restart runs on PostgreSQL only")
    busy = others()
    if busy and os.environ.get("FAULTS_FORCE") != "1":
        sys.exit("other databases of this cluster are in use (" + ", ".join(f"{d}: {n} sessions" for d, n in busy) +
                 "); the restart would cut them off. FAULTS_FORCE=1 restarts all the same.")
    server = c.Server("server")
    server.start()
    try:
        run(server)
    finally:
        server.stop()


def probe(server, statuses, stop):
    while not stop.is_set():
        statuses.add("probe /readyz", c.call(server.base, "GET", "/readyz", timeout=30))
        statuses.add("probe list", c.call(server.base, "GET", c.API + "/challenges?limit=5", timeout=30))
        stop.wait(0.1)


def failed(event):
    status = event[3]
    return status is None or status >= 500


def run(server):
    base = server.base
    official = c.login(base, c.OFFICIAL)
    _, _, publisher = c.register_verified(base, official, "enterprise", "pub")
    cid = c.publish(base, publisher, official, "故障注入：数据库重启时的揭榜与答疑")
    ledger, statuses, stop = c.Ledger(), c.Statuses(), threading.Event()
    writers = c.MixedWriters(server, official, cid, ledger, statuses, stop)
    threads = [threading.Thread(target=writers.run, args=(w,), daemon=True) for w in range(WRITERS)]
    threads.append(threading.Thread(target=probe, args=(server, statuses, stop), daemon=True))
    started = time.time()
    for t in threads:
        t.start()
    restarts = []  # (began, back)
    for i in range(RESTARTS):
        time.sleep(max(0.0, started + SECONDS * (i + 1) / (RESTARTS + 2) - time.time()))
        began = time.time()
        c.log(f"restarting PostgreSQL ({len(ledger.entries)} writes acknowledged so far)")
        restart_postgres()
        restarts.append((began, time.time()))
        c.log(f"PostgreSQL back after {restarts[-1][1] - began:.1f} s")
    time.sleep(max(0.0, started + SECONDS - time.time()))
    stop.set()
    for t in threads:
        t.join(120)
    elapsed = time.time() - started

    rows, notes = [("duration", f"{elapsed:.0f} s, {WRITERS} writers and a prober")], []
    events = sorted(statuses.events)
    all_ok = True
    for i, (began, back) in enumerate(restarts):
        end = restarts[i + 1][0] if i + 1 < len(restarts) else time.time()
        window = [e for e in events if began <= e[0] < end]
        bad = [e for e in window if failed(e)]
        last_bad = max((e[0] for e in bad), default=began)
        recovered = max(0.0, last_bad - back)
        seen = collections.Counter(f"{e[2]}" + (" (not problem+json)" if e[3] and e[3] >= 500 and
                                                "application/problem+json" not in e[4] else "")
                                   for e in window if e[0] <= max(last_bad, back))
        unexpected = [e for e in bad if e[3] != 503 or "application/problem+json" not in e[4]]
        writes_after = sum(1 for e in ledger.entries if e["at"] > last_bad)
        ok_ = not unexpected and recovered <= 30 and writes_after > 0
        all_ok &= ok_
        rows += [(f"restart {i + 1}: pg_ctlcluster until ready", f"{back - began:.1f} s"),
                 (f"restart {i + 1}: answers until recovered", c.fmt_counter(seen)),
                 (f"restart {i + 1}: other 5xx or no answer", f"{len(unexpected)} ({c.fmt_counter(collections.Counter(e[1] + ' ' + e[2] for e in unexpected))})"),
                 (f"restart {i + 1}: recovered", f"{recovered:.1f} s after PostgreSQL was back; "
                                                 f"{writes_after} writes acknowledged after")]
        for e in unexpected[:3]:
            notes.append(f"restart {i + 1}: {e[1]} answered {e[2]} at +{e[0] - began:.2f} s")
    outside = [e for e in events if failed(e) and not any(b <= e[0] for b, _ in restarts)]
    lost = c.check_ledger(ledger)
    half = c.check_half_applied()
    passed = len(restarts) == RESTARTS and all_ok and not outside and not lost and not half and ledger.entries
    rows += [("5xx before the first restart", len(outside)),
             ("acknowledged writes", f"{len(ledger.entries)} ({c.fmt_counter(ledger.counts())})"),
             ("in doubt (no answer/5xx)", f"{sum(writers.in_doubt.values())} ({c.fmt_counter(writers.in_doubt)})"),
             ("lost", len(lost)), ("half-applied", len(half))]
    notes += [f"lost: {e}" for e in lost[:5]] + [f"half-applied: {p}" for p in half[:5]]
    if not passed:
        notes.append("server log, errors and warnings:\n" + server.problems())
    c.result("pg_restart: PostgreSQL restarted under load", rows, passed, notes)


main()
