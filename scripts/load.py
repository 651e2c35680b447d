#!/usr/bin/env python3
"""Load test of the challenge endpoints (issue: challenges, "Measure it").

Fills a fresh Jiebang instance with 10 000 published challenges through the public API (create,
submit, approve), then runs wrk against /healthz, the public list (20 items), a keyword search and
a single challenge, and prints requests/s and p50/p99 latency for each.

Usage: scripts/load.sh [sqlite|postgres]  (the wrapper builds, starts the server, and calls this)
       python3 scripts/load.py BASE_URL OFFICIAL_EMAIL PASSWORD [COUNT]
Only the standard library is used.
"""
import concurrent.futures
import datetime
import json
import random
import re
import subprocess
import sys
import urllib.parse
import urllib.request

BASE, OFFICIAL, PASSWORD = sys.argv[1], sys.argv[2], sys.argv[3]
COUNT = int(sys.argv[4]) if len(sys.argv) > 4 else 10_000

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


def call(method, path, token=None, body=None):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(BASE + path, data=data, method=method)
    req.add_header("content-type", "application/json")
    if token:
        req.add_header("authorization", "Bearer " + token)
    with urllib.request.urlopen(req) as r:
        return json.loads(r.read() or b"null")


def login(email):
    return call("POST", "/api/v1/auth/login", body={"email": email, "password": PASSWORD})["access_token"]


def credit_code(n):
    cs = "0123456789ABCDEFGHJKLMNPQRTUWXY"
    w = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]
    s = f"91150200MA{n:06d}Y"
    return s + cs[(31 - sum(cs.index(c) * w[i] for i, c in enumerate(s)) % 31) % 31]


def main():
    official = login(OFFICIAL)
    publishers = []
    for i in range(8):
        email = f"publisher{i}@load.jiebang.cn"
        reg = call("POST", "/api/v1/auth/register", body={
            "email": email, "password": PASSWORD, "name": "压测用户",
            "organization": {"name": f"压测企业{i}号有限公司", "kind": "enterprise",
                             "credit_code": credit_code(900000 + i), "region_code": "150200"}})
        call("POST", f"/api/v1/organizations/{reg['organization']['id']}/verify", official, {})
        publishers.append(login(email))
    now = datetime.datetime.now(datetime.timezone.utc)
    deadline = (now + datetime.timedelta(days=120)).isoformat()
    qdeadline = (now + datetime.timedelta(days=100)).isoformat()

    def publish(n):
        industry, title, problem = TOPICS[n % len(TOPICS)]
        token = publishers[n % len(publishers)]
        body = {
            "title": f"第{n}号榜单：{title}", "kind": "tech_breakthrough", "mode": "open", "industry": industry,
            "industry_chain": "示范产业链", "problem": problem * 2,
            "kpis": [{"name": "关键指标", "target": f"≥{random.randint(50, 99)}", "unit": "%"}],
            "duration_months": 24, "enterprise_funds": 6_000_000, "fiscal_support": 3_000_000,
            "ip_ownership": "shared", "bidding_deadline": deadline, "questions_deadline": qdeadline,
            "contact": {"name": "联系人", "phone": "0472-5551234", "email": "contact@load.jiebang.cn"},
        }
        cid = call("POST", "/api/v1/challenges", token, body)["id"]
        call("POST", f"/api/v1/challenges/{cid}/submit", token, {})
        call("POST", f"/api/v1/challenges/{cid}/review", official, {"decision": "approve"})
        return cid

    started = datetime.datetime.now()
    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        ids = list(pool.map(publish, range(COUNT)))
    took = (datetime.datetime.now() - started).total_seconds()
    print(f"filled {len(ids)} published challenges in {took:.0f} s ({3 * len(ids) / took:.0f} writes/s through the API)")

    q = urllib.parse.quote("制氢")
    targets = [
        ("/healthz", "/healthz"),
        ("list, 20 items", "/api/v1/challenges?limit=20"),
        ("keyword search q=制氢", f"/api/v1/challenges?q={q}&limit=20"),
        ("single challenge", f"/api/v1/challenges/{ids[len(ids) // 2]}"),
        ("web hall / (anonymous)", "/"),
        ("public figures /api/v1/stats/overview", "/api/v1/stats/overview"),
    ]
    print(f"\n| endpoint | requests/s | share of /healthz | p50 | p99 |\n|---|---|---|---|---|")
    healthz = None
    for name, path in targets:
        out = subprocess.run(["wrk", "-t2", "-c32", "-d10s", "--latency", BASE + path],
                             capture_output=True, text=True, check=True).stdout
        rps = re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)
        p50 = re.search(r"^\s+50%\s+(\S+)", out, re.M).group(1)
        p99 = re.search(r"^\s+99%\s+(\S+)", out, re.M).group(1)
        non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
        note = f" ({non2xx.group(1)} errors)" if non2xx else ""
        healthz = healthz or float(rps)
        share = f"{100 * float(rps) / healthz:.1f} %"
        print(f"| {name} | {float(rps):,.0f}{note} | {share} | {p50} | {p99} |")


main()
