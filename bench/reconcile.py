"""Benchmark: 100-query reconciliation batches against a running `kg serve`.

Not a test: it prints figures and asserts nothing about time. Each batch is one POST of
``queries=<JSON>`` (form-encoded, as OpenRefine sends it) with 100 queries made from the
release's position titles, written the ways people type them: as printed, lower case, on a
Russian keyboard, upper case, inflected, with a tier constraint, as a code. Two mixes:

- cold: every query text is new to the server (a different run of blanks before it, which
        the normaliser ignores), so every one is parsed and scored;
- hot:  the same batch again and again (the index's per-text cache answers it).

Printed per mix: batches, p50 and p99 latency of one batch (ms), queries/s.

    kg serve &                     # or kg serve --release dist --port 8000
    .venv/bin/python bench/reconcile.py [--url http://127.0.0.1:8000] [--batches 30]
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import sys
import time
from pathlib import Path
from urllib.parse import urlencode

import httpx

ROOT = Path(__file__).resolve().parent.parent
POSITIONS = ROOT / "dist" / "positions.csv"
BATCH = 100
FALLBACK_TITLES = ["Бухгалтер", "Мейіргер", "ЗТМО басшысы", "Нұсқаушы", "Жүзу жөніндегі нұсқаушы"]
RUSSIAN_KEYBOARD = str.maketrans("әғқңөұүһіӘҒҚҢӨҰҮҺІ", "агкнооууиАГКНОУУХИ")


def titles(path: Path = POSITIONS) -> list[tuple[str, str]]:
    """(title, notation) of every position of the release, or a few fixed ones."""
    if not path.exists():
        return [(t, "") for t in FALLBACK_TITLES]
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    title = next(k for k in rows[0] if "label" in k and "kk" in k)
    code = next(k for k in rows[0] if k.endswith("notation"))
    return [(r[title], r[code]) for r in rows]


def query(title: str, notation: str, i: int) -> dict:
    """The i-th way of writing a title (each a query as OpenRefine sends it)."""
    kind = i % 7
    if kind == 0:
        return {"query": title, "type": "position"}
    if kind == 1:
        return {"query": title.lower()}
    if kind == 2:
        return {"query": title.translate(RUSSIAN_KEYBOARD), "type": "position"}
    if kind == 3:
        return {"query": title.upper(), "type": "position", "limit": 5}
    if kind == 4:
        return {"query": title + "ның", "type": "position"}
    if kind == 5 and notation:
        tier = notation[:2]
        return {"query": title, "type": "position", "properties": [{"pid": "tier", "v": tier}]}
    return {"query": notation or title}


def _blanks(n: int) -> str:
    """A run of spaces and tabs that spells `n` in binary: a nonce the search ignores."""
    return "".join("\t" if bit == "1" else " " for bit in f"{n:024b}")


def batches(count: int, cold: bool, first: int = 0) -> list[bytes]:
    """Form-encoded bodies of `count` batches of BATCH queries (cold: numbered from `first`)."""
    known = titles()
    out = []
    for b in range(first, first + count):
        qs = {}
        for j in range(BATCH):
            n = b * BATCH + j if cold else j
            title, notation = known[n % len(known)]
            q = query(title, notation, n // len(known) + j)
            if cold:  # a text the server has not seen: the normaliser ignores the blanks
                q["query"] = _blanks(b) + q["query"]
            qs[f"q{j}"] = q
        out.append(urlencode({"queries": json.dumps(qs, ensure_ascii=False)}).encode())
    return out


def run(client: httpx.Client, bodies: list[bytes]) -> list[float]:
    headers = {"Content-Type": "application/x-www-form-urlencoded; charset=UTF-8"}
    seconds = []
    for body in bodies:
        start = time.perf_counter()
        r = client.post("/reconcile", content=body, headers=headers)
        seconds.append(time.perf_counter() - start)
        r.raise_for_status()
        assert len(r.json()) == BATCH, "the service answered a different number of queries"
    return seconds


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--url", default="http://127.0.0.1:8000")
    p.add_argument("--batches", type=int, default=30)
    a = p.parse_args(argv)
    with httpx.Client(base_url=a.url, timeout=60) as client:
        try:
            client.get("/reconcile").raise_for_status()
        except httpx.HTTPError as e:
            print(f"no reconciliation service at {a.url}: {e}", file=sys.stderr)
            return 2
        start = random.randrange(2**23)  # cold texts differ from any earlier run's
        run(client, batches(3, cold=True, first=start))  # warm up connections, code paths
        print(f"{'mix':6} {'batches':>7} {'p50 ms':>8} {'p99 ms':>8} {'queries/s':>10}")
        for name, cold in (("cold", True), ("hot", False)):
            bodies = batches(a.batches, cold, first=start + 3)
            if not cold:
                bodies = bodies[:1] * a.batches
            seconds = run(client, bodies)
            qps = BATCH * len(seconds) / sum(seconds)
            print(
                f"{name:6} {len(seconds):7d} {percentile(seconds, 50) * 1000:8.1f} "
                f"{percentile(seconds, 99) * 1000:8.1f} {qps:10.0f}"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
