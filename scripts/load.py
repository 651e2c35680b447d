#!/usr/bin/env python3
"""The load figures of docs/performance.md (scripts/load.sh drives this; scripts/bench drives both).

    python3 scripts/load.py fill BASE OFFICIAL_EMAIL PASSWORD COUNT
        registers 8 publishers and 32 bidding universities, and publishes COUNT open challenges
        (and one directed, inviting the second university) through the API (create, submit,
        approve); prints the write rate of the fill
    python3 scripts/load.py measure BASE PASSWORD [RUNS]
        wrk -t2 -c32 -d10s on /healthz and every public read (the cached anonymous answers and,
        beside them, the same reads signed in: as a university whose page of the public list is
        the kept anonymous one with its own actions, and as one invited to a directed challenge,
        whose page is its organisation's own kept page, with its own actions), RUNS times
        (default 1);
        prints requests/s, the share of /healthz measured in the same run, p50 and p99, the time
        of one read alone before the run (for a cached read, its refill) and the public cache's
        misses during the run; then, three times, a question asked (a write) and the hall and the
        headline figures read alone after it (the refill the first reader after a write waits for)
    python3 scripts/load.py writes BASE PASSWORD COUNT
        bid submission (揭榜申报提交: the bid's state, its audit entry, the in-app notices and the
        outbox e-mails in one transaction): COUNT draft bids are prepared through the API, then
        wrk -t2 -c32 submits each exactly once; prints submissions/s
    python3 scripts/load.py signing BASE PASSWORD DATABASE
        agreement signing: one drafted agreement per submitted bid written in SQL, then wrk -t2
        -c32 has each bidder's admin, then each publisher's, sign each agreement once; prints
        signatures/s
    python3 scripts/load.py multiply DATABASE_URL TOTAL
        copies the published challenges in the database (SQL, in batches) until TOTAL are
        published, for the scale runs (on PostgreSQL then VACUUM ANALYZE, as autovacuum would
        have done on a live database); the server is restarted afterwards to index them
    python3 scripts/load.py sqlite-rate PATH
        SQLite's own rate of one-row write transactions, with the service's settings (WAL,
        synchronous=NORMAL), one writer, for 5 s
    python3 scripts/load.py rss PID LABEL
        prints the resident memory of a process
Only the standard library is used (psql for `multiply` on PostgreSQL).
"""
import concurrent.futures
import datetime
import json
import os
import random
import re
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request

TOPICS = [
    ("新能源", "千标方级电解水制氢关键装备研制与示范应用", "针对风光发电功率波动，研制碱性电解水制氢装备，解决宽功率适应性难题。"),
    ("种业", "肉牛核心种质构建与新品种培育", "开展肉牛种质资源挖掘与基因组选择育种，提高繁殖效率与产肉性能。"),
    ("种业", "高产优质苜蓿新品种选育", "选育耐寒耐旱高产苜蓿新品种，突破草产品加工关键技术。"),
    ("稀土", "低重稀土烧结钕铁硼永磁材料制备", "研究晶界扩散技术，降低重稀土用量并提高磁体矫顽力。"),
    ("装备制造", "露天煤矿无人驾驶矿用卡车编组运行", "研发矿卡无人驾驶感知决策与编组协同调度技术。"),
    ("现代煤化工", "煤基固废高值化利用关键技术", "研发气化渣与粉煤灰高值化利用与建材化技术。"),
    ("中医药(蒙医药)", "蒙药材道地性评价与质量标准体系", "建立道地蒙药材指纹图谱与质量标准体系。"),
    ("乳业", "奶牛高效繁育与优质乳生产技术", "研究奶牛性控繁育与优质乳生产全链条技术。"),
]
PUBLISHERS = 8
BIDDERS = 32
BASE = ""


def call(method, path, token=None, body=None):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(BASE + path, data=data, method=method)
    req.add_header("content-type", "application/json")
    if token:
        req.add_header("authorization", "Bearer " + token)
    with urllib.request.urlopen(req) as r:
        return json.loads(r.read() or b"null")


def login(email, password):
    return call("POST", "/api/v1/auth/login", body={"email": email, "password": password})["access_token"]


def credit_code(n):
    cs = "0123456789ABCDEFGHJKLMNPQRTUWXY"
    w = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]
    s = f"91150200MA{n:06d}Y"
    return s + cs[(31 - sum(cs.index(c) * w[i] for i, c in enumerate(s)) % 31) % 31]


def publisher_email(i):
    return f"publisher{i}@load.jiebang.cn"


def bidder_email(i):
    return f"bidder{i}@load-university.edu.cn"


def register(official, email, password, name, kind, code):
    reg = call("POST", "/api/v1/auth/register", body={
        "email": email, "password": password, "name": "压测用户",
        "organization": {"name": name, "kind": kind, "credit_code": credit_code(code), "region_code": "150200"}})
    call("POST", f"/api/v1/organizations/{reg['organization']['id']}/verify", official, {})
    return reg["organization"]["id"]


def fill(official_email, password, count):
    official = login(official_email, password)
    for i in range(PUBLISHERS):
        register(official, publisher_email(i), password, f"压测企业{i}号有限公司", "enterprise", 900000 + i)
    bidder_orgs = [register(official, bidder_email(i), password, f"压测大学{i}号", "university", 910000 + i)
                   for i in range(BIDDERS)]
    publishers = [login(publisher_email(i), password) for i in range(PUBLISHERS)]
    now = datetime.datetime.now(datetime.timezone.utc)
    deadline = (now + datetime.timedelta(days=120)).isoformat()
    qdeadline = (now + datetime.timedelta(days=100)).isoformat()

    def publish(n, invited=None):
        industry, title, problem = TOPICS[n % len(TOPICS)]
        token = publishers[n % len(publishers)]
        body = {
            "title": f"第{n}号榜单：{title}", "kind": "tech_breakthrough", "mode": "directed" if invited else "open",
            "industry": industry,
            "industry_chain": "示范产业链", "problem": problem * 2,
            "kpis": [{"name": "关键指标", "target": f"≥{random.randint(50, 99)}", "unit": "%"}],
            "duration_months": 24, "enterprise_funds": 6_000_000, "fiscal_support": 3_000_000,
            "ip_ownership": "shared", "bidding_deadline": deadline, "questions_deadline": qdeadline,
            "contact": {"name": "联系人", "phone": "0472-5551234", "email": "contact@load.jiebang.cn"},
        }
        if invited:
            body["invited_organizations"] = invited
        cid = call("POST", "/api/v1/challenges", token, body)["id"]
        call("POST", f"/api/v1/challenges/{cid}/submit", token, {})
        call("POST", f"/api/v1/challenges/{cid}/review", official, {"decision": "approve"})

    started = time.monotonic()
    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        list(pool.map(publish, range(count)))
    took = time.monotonic() - started
    # one directed challenge (定向委托) inviting the second university: its signed-in list is not
    # the public one but its organisation's own kept page (the "invited" rows of `measure`)
    publish(count, invited=[bidder_orgs[1]])
    print(f"filled {count} published challenges in {took:.0f} s ({3 * count / took:.0f} writes/s through the API)")


def wrk(path, *, token=None, script=None, seconds=None):
    seconds = seconds or int(os.environ.get("LOAD_SECONDS", "10"))
    cmd = ["wrk", "-t2", "-c32", f"-d{seconds}s", "--latency"]
    if token:
        cmd += ["-H", f"Authorization: Bearer {token}"]
    if script:
        cmd += ["-s", script]
    out = subprocess.run(cmd + [BASE + path], capture_output=True, text=True, check=True).stdout
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
        "requests": int(re.search(r"(\d+) requests in", out).group(1)),
        "p50": re.search(r"^\s+50%\s+(\S+)", out, re.M).group(1),
        "p99": re.search(r"^\s+99%\s+(\S+)", out, re.M).group(1),
        "errors": int(non2xx.group(1)) if non2xx else 0,
    }


def metric(name):
    """One counter of the server's /metrics."""
    with urllib.request.urlopen(BASE + "/metrics") as r:
        for line in r.read().decode().splitlines():
            if line.startswith(name + " "):
                return float(line.split()[1])
    return 0.0


def timed(path, token=None):
    """One GET, its time in milliseconds."""
    req = urllib.request.Request(BASE + path)
    if token:
        req.add_header("authorization", "Bearer " + token)
    start = time.perf_counter()
    with urllib.request.urlopen(req) as r:
        r.read()
    return (time.perf_counter() - start) * 1000


def ms(latency):
    """wrk's latency text (850.00us, 1.20ms, 1.02s) in milliseconds."""
    v, unit = re.match(r"([\d.]+)(\w+)", latency).groups()
    return float(v) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}[unit]


def measure(password, runs):
    reader = login(bidder_email(0), password)
    # invited to a directed challenge by `fill`: its page of the public list is its organisation's
    # own kept page
    invited = login(bidder_email(1), password)
    first = call("GET", "/api/v1/challenges?limit=100")
    middle = first["items"][len(first["items"]) // 2]
    single = middle["id"]
    # its publisher reads its full view, afresh
    owner = login(publisher_email(int(re.search(r"压测企业(\d+)号", middle["publisher"]["name"]).group(1))), password)
    # a deep keyset page: 50 pages of 100 down
    cursor, page = first.get("next_cursor"), 1
    while cursor and page < 50:
        nxt = call("GET", f"/api/v1/challenges?limit=100&cursor={urllib.parse.quote(cursor)}", reader)
        cursor, page = nxt.get("next_cursor") or cursor, page + 1
        if not nxt.get("next_cursor"):
            break
    q = urllib.parse.quote("制氢")
    deep = f"/api/v1/challenges?limit=20&cursor={urllib.parse.quote(cursor)}" if cursor else "/api/v1/challenges?limit=20"
    targets = [
        ("/healthz", "/healthz", None),
        ("list, 20 items", "/api/v1/challenges?limit=20", None),
        ("keyword search q=制氢", f"/api/v1/challenges?q={q}&limit=20", None),
        ("single challenge", f"/api/v1/challenges/{single}", None),
        ("web hall / (anonymous)", "/", None),
        ("web challenge page (anonymous)", f"/challenges/{single}", None),
        ("public figures /api/v1/stats/overview", "/api/v1/stats/overview", None),
        ("list, signed in (kept page, own actions)", "/api/v1/challenges?limit=20", reader),
        (f"list page {page}, signed in (kept page, own actions)", deep, reader),
        ("search q=制氢, signed in (kept page, own actions)", f"/api/v1/challenges?q={q}&limit=20", reader),
        ("list, signed in, invited (org's kept page)", "/api/v1/challenges?limit=20", invited),
        (f"list page {page}, signed in, invited (org's kept page)", deep, invited),
        ("search q=制氢, signed in, invited (org's kept page)", f"/api/v1/challenges?q={q}&limit=20", invited),
        ("single challenge, signed in (kept view, own actions)", f"/api/v1/challenges/{single}", reader),
        ("single challenge, signed in as its publisher (read afresh)", f"/api/v1/challenges/{single}", owner),
    ]
    worst = {}
    for run in range(1, runs + 1):
        if runs > 1:
            print(f"\nrun {run} of {runs}")
        print("\n| endpoint | requests/s | share of /healthz | p50 | p99 | first read | cache misses |\n|---|---|---|---|---|---|---|")
        healthz = None
        for name, path, token in targets:
            # One read alone first, timed: for a cached read it is the refill (what the first
            # reader after a write waits for), and wrk then measures the reads served from the
            # cache. Not inside wrk's run: wrk corrects its latencies for coordinated omission
            # (each request slower than the run's mean interval counts as many), so a single
            # refill of 360 ms while 32 connections wait made the p99 of a 10 s run 360 ms.
            first = timed(path, token)
            # the public cache's misses during the run: reads that had to compute (after a write
            # emptied the cache; none when nothing writes)
            misses = metric("jiebang_public_cache_misses_total")
            r = wrk(path, token=token)
            misses = metric("jiebang_public_cache_misses_total") - misses
            healthz = healthz or r["rps"]
            note = f" ({r['errors']} errors)" if r["errors"] else ""
            print(f"| {name} | {r['rps']:,.0f}{note} | {100 * r['rps'] / healthz:.1f} % | {r['p50']} | {r['p99']} | {first:.1f} ms | {misses:.0f} |", flush=True)
            if ms(r["p99"]) > worst.get(name, (0, ""))[0]:
                worst[name] = (ms(r["p99"]), r["p99"])
    if runs > 1:
        print(f"\n| endpoint | worst p99 over {runs} runs |\n|---|---|")
        for name, _, _ in targets:
            print(f"| {name} | {worst[name][1]} |")
    # What the first reader after a write waits for: a question asked (a write to public data,
    # which empties the public cache), then the hall and the headline figures read alone; three
    # times, with the server otherwise idle.
    hall, figures = [], []
    for n in range(3):
        call("POST", f"/api/v1/challenges/{single}/questions", reader,
             {"question": f"压测提问 {n + 1}：示范工程的电源是否为离网风光？"})
        hall.append(timed("/"))
        call("POST", f"/api/v1/challenges/{single}/questions", reader,
             {"question": f"压测提问 {n + 1}：样机验收是否由第三方检测？"})
        figures.append(timed("/api/v1/stats/overview"))
    print(f"\nrefill after a write (a question asked), three times: web hall / "
          f"{', '.join(f'{t:.1f}' for t in hall)} ms; /api/v1/stats/overview "
          f"{', '.join(f'{t:.1f}' for t in figures)} ms", flush=True)


BID = {
    "approach": "采用宽功率碱性电解槽与多槽协同调度，结合风光功率预测实现快速响应与稳定运行。",
    "kpi_answers": [{"kpi_id": "kpi-1", "value": "95%"}],
    "milestones": [{"month": 6, "deliverable": "总体方案"}, {"month": 18, "deliverable": "样机与示范运行"}],
    "requested_fiscal": 1_500_000, "own_funds": 500_000,
}


def writes(password, count):
    bidders = [login(bidder_email(i), password) for i in range(BIDDERS)]
    challenges, cursor = [], None
    while len(challenges) < count:
        page = call("GET", "/api/v1/challenges?limit=100" + (f"&cursor={urllib.parse.quote(cursor)}" if cursor else ""))
        challenges += [c["id"] for c in page["items"]]
        cursor = page.get("next_cursor")
        if not cursor:
            break
    # bidder i takes challenges i, i+32, …: no two drafts of one lead on one challenge
    todo = [(challenges[n], n % BIDDERS) for n in range(min(count, len(challenges)))]

    def draft(item):
        cid, b = item
        return call("POST", f"/api/v1/challenges/{cid}/bids", bidders[b], BID)["id"], b

    started = time.monotonic()
    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        drafts = list(pool.map(draft, todo))
    took = time.monotonic() - started
    print(f"prepared {len(drafts)} draft bids in {took:.0f} s ({len(drafts) / took:.0f} bid creations/s, 8 clients)")
    busy = cpu_busy()
    r = each_once([(f"/api/v1/bids/{bid}/submit", "{}", b) for bid, b in drafts], bidders)
    cpu_ms = 1000 * (cpu_busy() - busy) / max(r["requests"], 1)
    note = f", {r['errors']} refused (too few drafts: the figure is not valid)" if r["errors"] else ""
    print(f"\n| bid submission (32 clients) | submissions/s | p50 | p99 |\n|---|---|---|---|")
    print(f"| {r['requests']} of {len(drafts)} drafts submitted, each once{note} | {r['rps']:,.0f} | {r['p50']} | {r['p99']} |")
    print(f"\nCPU per submission: {cpu_ms:.2f} ms (both cores, server, database and wrk together)")


def cpu_busy():
    """Seconds of CPU the whole machine has spent busy (user, nice, system, irq, softirq; not idle,
    I/O wait or steal), from /proc/stat."""
    with open("/proc/stat") as f:
        v = [int(x) for x in f.readline().split()[1:]]
    return (v[0] + v[1] + v[2] + v[5] + v[6]) / os.sysconf("SC_CLK_TCK")


def each_once(items, tokens, seconds=5):
    """wrk -t2 -c32 POSTs each (path, JSON body, index into tokens) item exactly once, for
    `seconds`: each wrk thread walks its own half of the items. A thread that has none left asks
    for a path that does not exist (404), which shows as refused: then the run needs more items."""
    lua = ["items = {"] + [f"{{'{p}', '{b}', {t}}}," for p, b, t in items]
    lua += ["}", "tokens = {"] + [f'"{t}",' for t in tokens] + ["}"]
    lua.append("""
local threads = 0
function setup(thread) thread:set("tid", threads); threads = threads + 1 end
function init(args) n = tid + 1 end
function request()
  local it = items[n]
  if it == nil then return wrk.format("POST", "/api/v1/none-left", {["Authorization"] = "Bearer " .. tokens[1]}, "{}") end
  n = n + 2
  return wrk.format("POST", it[1], {["Authorization"] = "Bearer " .. tokens[it[3] + 1], ["Content-Type"] = "application/json"}, it[2])
end
""")
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as f:
        f.write("\n".join(lua))
    try:
        return wrk("/healthz", script=f.name, seconds=seconds)
    finally:
        os.unlink(f.name)


def rows(db, sql):
    """Rows of a query, on the SQLite file or the postgres:// URL `db`."""
    if db.startswith("postgres"):
        out = subprocess.run(["psql", "-qAt", "-F", "\t", db, "-c", sql], check=True, capture_output=True, text=True).stdout
        return [line.split("\t") for line in out.splitlines() if line]
    con = sqlite3.connect(db, timeout=30)
    try:
        return [list(r) for r in con.execute(sql)]
    finally:
        con.close()


def execute(db, statements):
    if db.startswith("postgres"):
        with tempfile.NamedTemporaryFile("w", suffix=".sql", delete=False) as f:
            f.write("BEGIN;\n" + ";\n".join(statements) + ";\nCOMMIT;\n")
        try:
            subprocess.run(["psql", "-q", "-v", "ON_ERROR_STOP=1", db, "-f", f.name], check=True, capture_output=True)
        finally:
            os.unlink(f.name)
        return
    con = sqlite3.connect(db, timeout=30, isolation_level=None)
    try:
        con.execute("BEGIN IMMEDIATE")
        for st in statements:
            con.execute(st)
        con.execute("COMMIT")
    finally:
        con.close()


def canonical(value):
    """The terms' canonical JSON, as domain::agreement::canonical_json writes it."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def signing(password, db):
    """Agreement signing (协议签署): one drafted agreement per submitted bid is written in SQL (the
    award's evaluation is not what is measured), then wrk -t2 -c32 has each bidder's admin, then
    each publisher's, sign each of its agreements once: the terms-hash check, the SM2 signature with the key the
    platform keeps for the organisation and the platform's countersignature, the signature row,
    the state change, its audit entry, in one transaction."""
    import hashlib
    import uuid
    signers = [login(bidder_email(i), password) for i in range(BIDDERS)]
    signers += [login(publisher_email(i), password) for i in range(PUBLISHERS)]
    token_of = {call("GET", "/api/v1/me", t)["organization"]["id"]: t for t in signers}
    orgs = {r[0]: (r[1], r[2]) for r in rows(db, "SELECT id, name, credit_code FROM organizations")}
    bids = rows(db, "SELECT b.id, b.challenge_id, b.lead_organization_id, c.organization_id, c.title FROM bids b "
                    "JOIN challenges c ON c.id = b.challenge_id WHERE b.status = 'submitted' "
                    "AND NOT EXISTS (SELECT 1 FROM agreements a WHERE a.bid_id = b.id)")
    items, statements = [], []
    for bid, cid, lead, publisher, title in bids:
        party = lambda role, org: {"role": role, "organization_id": org, "name": orgs[org][0], "credit_code": orgs[org][1]}
        terms = {
            "challenge_id": cid, "bid_id": bid, "title": title,
            "parties": [party("publisher", publisher), party("bidder", lead)],
            "fiscal_amount": 1_500_000, "enterprise_amount": 3_000_000, "term_months": 24, "ip_ownership": "shared",
            "kpis": [{"name": "关键指标", "target": "≥95", "unit": "%", "committed": "95%"}],
            "milestones": [{"month": 6, "deliverable": "总体方案"}, {"month": 18, "deliverable": "样机与示范运行"}],
        }
        h = hashlib.sha256(canonical(terms).encode()).hexdigest()
        aid = str(uuid.uuid4())
        quoted = json.dumps(terms, ensure_ascii=False).replace("'", "''")
        statements.append("INSERT INTO agreements (id, challenge_id, bid_id, status, terms_json, terms_hash, version, created_at, updated_at) "
                          f"VALUES ('{aid}', '{cid}', '{bid}', 'drafted', '{quoted}', '{h}', 1, '2026-12-01 00:00:00', '2026-12-01 00:00:00')")
        items.append((aid, h, signers.index(token_of[lead]), signers.index(token_of[publisher])))
    for i in range(0, len(statements), 500):
        execute(db, statements[i:i + 500])
    print(f"wrote {len(items)} drafted agreements")
    # every bidder signs first, then every publisher (whose signature makes the agreement signed)
    body = lambda h: '{"terms_hash":"' + h + '"}'
    r = each_once([(f"/api/v1/agreements/{a}/sign", body(h), b) for a, h, b, _ in items]
                  + [(f"/api/v1/agreements/{a}/sign", body(h), p) for a, h, _, p in items], signers)
    note = f", {r['errors']} refused (too few agreements: the figure is not valid)" if r["errors"] else ""
    print(f"\n| agreement signing (32 clients) | signatures/s | p50 | p99 |\n|---|---|---|---|")
    print(f"| {r['requests']} of {2 * len(items)} signatures (each agreement by its bidder, then by its publisher), each once{note} | {r['rps']:,.0f} | {r['p50']} | {r['p99']} |")


def sqlite_rate(path):
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA journal_mode = WAL")
    db.execute("PRAGMA synchronous = NORMAL")
    db.execute("CREATE TABLE IF NOT EXISTS t (id INTEGER PRIMARY KEY, v TEXT NOT NULL)")
    n, started = 0, time.monotonic()
    while time.monotonic() - started < 5:
        db.execute("BEGIN IMMEDIATE")
        db.execute("INSERT INTO t (v) VALUES (?)", ("x" * 200,))
        db.execute("COMMIT")
        n += 1
    rate = n / (time.monotonic() - started)
    print(f"SQLite one-row write transactions (WAL, synchronous=NORMAL, one writer): {rate:,.0f}/s")


def multiply(url, total):
    """Copies published challenges (new ids, numbered titles, published a second apart going
    back) until `total` are published."""
    pg = url.startswith("postgres")

    def run(sql):
        if pg:
            return subprocess.run(["psql", "-qtAX", url, "-c", sql], capture_output=True, text=True,
                                  check=True).stdout.strip()
        db = sqlite3.connect(url, isolation_level=None)
        try:
            rows = db.execute(sql).fetchall() if sql.lstrip().upper().startswith("SELECT") else db.executescript(sql)
            return str(rows[0][0]) if isinstance(rows, list) and rows else ""
        finally:
            db.close()

    columns = (run("SELECT string_agg(column_name, ',' ORDER BY ordinal_position) FROM information_schema.columns "
                   "WHERE table_name = 'challenges' AND table_schema = current_schema()") if pg
               else ",".join(r[1] for r in sqlite3.connect(url).execute("PRAGMA table_info(challenges)")))
    columns = columns.split(",")
    have = int(run("SELECT count(*) FROM challenges WHERE status = 'published'"))
    # the originals (ids from the API); earlier copies' ids start with their copy number
    base = int(run("SELECT count(*) FROM challenges WHERE status = 'published' AND id NOT LIKE '0000%'"))
    copied_before = have - base
    copy = -(-copied_before // base)
    started = time.monotonic()
    while have < total:
        copy += 1
        n = min(base, total - have)
        select = []
        for c in columns:
            if c == "id":
                select.append(f"'{copy:08x}' || substr(id, 9)")
            elif c == "title":
                select.append(f"title || '（副本{copy}）'")
            elif c in ("published_at", "created_at", "updated_at", "submitted_at"):
                select.append(f"{c} - interval '{copy} hours'" if pg else f"datetime({c}, '-{copy} hours')")
            else:
                select.append(c)
        sql = (f"INSERT INTO challenges ({','.join(columns)}) SELECT {','.join(select)} FROM challenges "
               f"WHERE status = 'published' AND id NOT LIKE '0000%' ORDER BY id LIMIT {n}")
        if not pg:
            sql = "BEGIN; " + sql + "; COMMIT;"
        run(sql)
        have += n
    if pg:
        # a live database has had autovacuum over its rows; a bulk copy measured at once has not:
        # without the visibility map every index-only count reads the heap row by row (a
        # headline-figure refill took 150-215 ms at 100 000 instead of 27-53 ms, 2026-12-01).
        # SQLite is left without statistics, as the service runs it (no ANALYZE anywhere).
        run("VACUUM ANALYZE challenges")
    print(f"published challenges: {have} ({have - base - copied_before} copied in {time.monotonic() - started:.0f} s)")


def rss(pid, label):
    with open(f"/proc/{pid}/status") as f:
        kb = int(re.search(r"VmRSS:\s+(\d+)", f.read()).group(1))
    print(f"resident memory, {label}: {kb / 1024:.0f} MB")


def main():
    global BASE
    cmd, args = sys.argv[1], sys.argv[2:]
    if cmd == "fill":
        BASE = args[0]
        fill(args[1], args[2], int(args[3]))
    elif cmd == "measure":
        BASE = args[0]
        measure(args[1], int(args[2]) if len(args) > 2 else 1)
    elif cmd == "writes":
        BASE = args[0]
        writes(args[1], int(args[2]))
    elif cmd == "signing":
        BASE = args[0]
        signing(args[1], args[2])
    elif cmd == "multiply":
        multiply(args[0], int(args[1]))
    elif cmd == "sqlite-rate":
        sqlite_rate(args[0])
    elif cmd == "rss":
        rss(args[0], args[1])
    else:
        sys.exit(__doc__)



if __name__ == "__main__":
    main()
