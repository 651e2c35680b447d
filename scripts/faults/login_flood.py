#!/usr/bin/env python3
"""A login flood: the rest of the API keeps its p99 within 2x of its unloaded p99.

One server with JIEBANG_TRUST_PROXY=true (the client address comes from X-Forwarded-For) and
its default hashing bound (JIEBANG_HASH_CONCURRENCY: one per core; set it in the environment
to try another). 30 challenges are published. CLIENTS threads (default 4), each on a
keep-alive connection, alternate GET /api/v1/challenges?limit=20 and GET
/api/v1/challenges/{id} for SECONDS (default 30) unloaded, then again while FLOODERS threads
(default 48, keep-alive) send POST /api/v1/auth/login with wrong passwords as fast as they are
answered: 70 % to e-mails that do not exist (a fresh one each time, so the per-account limit
never stops them), 30 % to the 20 real accounts, each from a random X-Forwarded-For address in
10.0.0.0/8 (so the per-address limit never stops them either). Logins beyond the hashing bound
get 503 server_busy and repeated failures 429: fine.
Reported: p50 and p99 of each read endpoint unloaded and under the flood, the ratio of the
p99s, the flood's rate and its answers.
PASS: each endpoint's p99 under the flood is at most 2x its unloaded p99, every read was
answered 200, and the flood got no 5xx but 503.

Usage: scripts/faults.sh login_flood [sqlite|postgres] [SECONDS] [FLOODERS] [CLIENTS]
"""
import collections
import multiprocessing
import os
import random
import sys
import threading
import time

import common as c

SECONDS = float(sys.argv[1]) if len(sys.argv) > 1 else 30
FLOODERS = int(sys.argv[2]) if len(sys.argv) > 2 else 48
CLIENTS = int(sys.argv[3]) if len(sys.argv) > 3 else 4
LIST = "list ?limit=20"
ONE = "single challenge"


def main():
    c.need_driver()
    server = c.Server("server", {"JIEBANG_TRUST_PROXY": "true"})
    server.start()
    try:
        run(server)
    finally:
        server.stop()


def measure(base, ids, seconds):
    """{endpoint: [latency s]}, Counter of non-200 answers."""
    lat = collections.defaultdict(list)
    errors = collections.Counter()
    lock = threading.Lock()
    end = time.time() + seconds

    def client():
        conn = c.KeepAlive(base)
        mine = collections.defaultdict(list)
        bad = collections.Counter()
        i = 0
        while time.time() < end:
            name, path = (LIST, c.API + "/challenges?limit=20") if i % 2 == 0 else \
                (ONE, f"{c.API}/challenges/{random.choice(ids)}")
            r = conn.call("GET", path)
            if r.status == 200:
                mine[name].append(r.elapsed)
            else:
                bad[f"{name} {r.label()}"] += 1
            i += 1
        conn.close()
        with lock:
            for k, v in mine.items():
                lat[k] += v
            errors.update(bad)

    threads = [threading.Thread(target=client) for _ in range(CLIENTS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return lat, errors


def flood(base, accounts, stop, answers, lock):
    conn = c.KeepAlive(base, timeout=30)
    mine = collections.Counter()
    while not stop.is_set():
        if random.random() < 0.7:
            email = f"nobody{random.getrandbits(48):x}@flood.jiebang.cn"
        else:
            email = random.choice(accounts)
        addr = f"10.{random.randrange(256)}.{random.randrange(256)}.{random.randrange(1, 255)}"
        r = conn.call("POST", c.API + "/auth/login", body={"email": email, "password": f"Wrong-Password-{random.random()}"},
                      headers={"X-Forwarded-For": addr})
        mine[r.label()] += 1
        if r.status is None:
            time.sleep(0.05)
    conn.close()
    with lock:
        answers.update(mine)


def flood_process(base, accounts, stop, out):
    """The flood, in a process of its own: its threads do not compete with the measuring
    clients for this interpreter's lock, which would add to the latencies measured."""
    answers, lock = collections.Counter(), threading.Lock()
    threads = [threading.Thread(target=flood, args=(base, accounts, stop, answers, lock)) for _ in range(FLOODERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    out.put(dict(answers))


def summary(lat):
    return {k: (c.percentile(v, 50), c.percentile(v, 99), len(v)) for k, v in lat.items()}


def run(server):
    base = server.base
    official = c.login(base, c.OFFICIAL)
    _, _, publisher = c.register_verified(base, official, "enterprise", "pub")
    ids = [c.publish(base, publisher, official, f"登录洪水测试榜单第{i}号") for i in range(30)]
    accounts = []
    for _ in range(20):
        body = c.registration(c.next_n(), "institute", "acct")
        c.ok(base, "POST", c.API + "/auth/register", body=body)
        accounts.append(body["email"])

    measure(base, ids, 3)  # warm-up
    c.log(f"unloaded: {CLIENTS} clients for {SECONDS:.0f} s")
    quiet, quiet_err = measure(base, ids, SECONDS)

    stop, out = multiprocessing.Event(), multiprocessing.Queue()
    flooder = multiprocessing.Process(target=flood_process, args=(base, accounts, stop, out), daemon=True)
    f0 = time.time()
    flooder.start()
    time.sleep(3)
    c.log(f"under a flood of {FLOODERS} login clients: {CLIENTS} clients for {SECONDS:.0f} s")
    loud, loud_err = measure(base, ids, SECONDS)
    stop.set()
    answers = collections.Counter(out.get(timeout=120))
    flooder.join(60)
    flood_s = time.time() - f0

    q, l = summary(quiet), summary(loud)
    rows = [("setting", f"{CLIENTS} read clients, {FLOODERS} login flooders (another process), {SECONDS:.0f} s "
                        f"per phase, JIEBANG_HASH_CONCURRENCY={os.environ.get('JIEBANG_HASH_CONCURRENCY', 'default')}")]
    passed = not quiet_err and not loud_err
    for name in (LIST, ONE):
        qp50, qp99, qn = q.get(name, (float("nan"),) * 2 + (0,))
        lp50, lp99, ln = l.get(name, (float("nan"),) * 2 + (0,))
        ratio = lp99 / qp99 if qp99 and qp99 == qp99 else float("inf")
        passed &= qn > 0 and ln > 0 and ratio <= 2.0
        rows += [(f"{name}: unloaded", f"p50 {qp50 * 1000:.1f} ms, p99 {qp99 * 1000:.1f} ms ({qn} requests)"),
                 (f"{name}: flooded", f"p50 {lp50 * 1000:.1f} ms, p99 {lp99 * 1000:.1f} ms ({ln} requests)"),
                 (f"{name}: p99 ratio", f"{ratio:.2f}x")]
    flood_5xx = {k: n for k, n in answers.items() if k.startswith("5") and not k.startswith("503")}
    unanswered = {k: n for k, n in answers.items() if k.startswith("no answer")}
    passed &= not flood_5xx and not unanswered
    rows += [("flood", f"{sum(answers.values())} logins in {flood_s:.0f} s ({sum(answers.values()) / flood_s:.0f}/s)"),
             ("flood answers", c.fmt_counter(answers)),
             ("reads not 200", c.fmt_counter(quiet_err + loud_err))]
    c.result("login_flood: reads during a login flood", rows, passed)


main()
