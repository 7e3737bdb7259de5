"""Resident memory of a whole `kg serve` tree: after warm-up and after a burst of cold queries.

Not a test. Starts `kg serve --out RELEASE --sparql-rate 0 [extra args]` (the rate limit is off:
one loopback client sends the burst), waits until every HTTP worker reports its query workers
idle, fetches a few pages and queries (warm-up), prints RSS/PSS/USS per process
(bench/proctree.py), sends N distinct SELECT queries (a nonce each, so every one is evaluated)
from 8 concurrent clients, and prints the tree again.

    PYTHONPATH=$PWD .venv/bin/python bench/serve_memory.py --out dist [--queries 2000] -- \
        --http-workers 1 --workers 2 --page-workers 0
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))

import proctree  # noqa: E402  (a sibling script)

COLD = (
    "PREFIX skos: <http://www.w3.org/2004/02/skos/core#>\n"
    "SELECT ?s ?label WHERE {{ ?s skos:prefLabel ?label }} LIMIT 20 # {nonce}"
)
WARM_PATHS = ("/", "/sparql?query=ASK%20%7B%7D", "/healthz")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_ready(base: str, http_workers: int, seconds: float = 180) -> None:
    ready: set[int] = set()
    deadline = time.monotonic() + seconds
    while len(ready) < http_workers and time.monotonic() < deadline:
        try:
            h = httpx.get(f"{base}/healthz", timeout=5)
            if h.status_code == 200:
                body = h.json()
                if body["idle_workers"] >= body["workers"]:
                    ready.add(body["pid"])
        except httpx.HTTPError:
            pass
        time.sleep(0.05)
    if len(ready) < http_workers:
        raise SystemExit("the server did not get ready")


def snapshot(pid: int, title: str) -> dict[str, float]:
    totals = {"Rss": 0.0, "Pss": 0.0, "Uss": 0.0}
    print(f"\n## {title}\n{'pid':>7} {'RSS MB':>7} {'PSS MB':>7} {'USS MB':>7}  what")
    for p, depth in proctree.tree(pid):
        r = proctree.rollup(p)
        uss = r["Private_Clean"] + r["Private_Dirty"]
        for k, v in (("Rss", r["Rss"]), ("Pss", r["Pss"]), ("Uss", uss)):
            totals[k] += v / 1024
        cmd = Path(f"/proc/{p}/cmdline").read_bytes().replace(b"\0", b" ").decode()[:60]
        print(
            f"{p:7} {r['Rss'] / 1024:7.1f} {r['Pss'] / 1024:7.1f} {uss / 1024:7.1f}  "
            + "  " * depth
            + cmd
        )
    print(f"{'sum':>7} {totals['Rss']:7.1f} {totals['Pss']:7.1f} {totals['Uss']:7.1f}")
    return totals


async def burst(base: str, n: int, clients: int = 8) -> dict[int, int]:
    statuses: dict[int, int] = {}
    counter = iter(range(n))

    async def client() -> None:
        async with httpx.AsyncClient(base_url=base, timeout=60) as c:
            for i in counter:
                q = COLD.format(nonce=f"{os.getpid()}-{time.time_ns()}-{i}")
                r = await c.get("/sparql", params={"query": q})
                statuses[r.status_code] = statuses.get(r.status_code, 0) + 1

    await asyncio.gather(*(client() for _ in range(clients)))
    return statuses


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--out", required=True)
    p.add_argument("--queries", type=int, default=2000)
    p.add_argument("--kg", default=".venv/bin/kg")
    p.add_argument("extra", nargs="*")
    a = p.parse_args()
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    http_workers = 1
    if "--http-workers" in a.extra:
        http_workers = int(a.extra[a.extra.index("--http-workers") + 1])
    else:
        http_workers = min(2, os.cpu_count() or 1)
    cmd = [a.kg, "serve", "--out", a.out, "--port", str(port), "--sparql-rate", "0", *a.extra]
    print(" ".join(cmd))
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_ready(base, http_workers)
        with httpx.Client(base_url=base, timeout=60) as c:
            for _ in range(5):
                for path in WARM_PATHS:
                    c.get(path)
        time.sleep(1)
        before = snapshot(proc.pid, "after warm-up")
        cpu0 = time.process_time()
        started = time.monotonic()
        statuses = asyncio.run(burst(base, a.queries))
        print(
            f"\nburst: {a.queries} cold queries, statuses {statuses}, "
            f"{time.monotonic() - started:.1f} s wall, client CPU {time.process_time() - cpu0:.1f} s"
        )
        time.sleep(1)
        after = snapshot(proc.pid, f"after {a.queries} cold queries")
        print(
            f"\nsummary RSS/PSS MB: warm {before['Rss']:.0f}/{before['Pss']:.0f}, "
            f"after burst {after['Rss']:.0f}/{after['Pss']:.0f}"
        )
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()


if __name__ == "__main__":
    main()
