"""Benchmark: latency of the grade finder, search and reconciliation against a running server.

Not a test: it prints figures and asserts nothing about time. Point it at a server started
with `kg serve` (or `kg serve --release dist`); each request is sent `--runs` times over
one keep-alive connection, after one warm-up round, and the median, 90th percentile and
maximum are printed per kind of request.

    .venv/bin/python bench/finder.py [--url http://127.0.0.1:8000] [--runs 20]
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from urllib.parse import urlencode

import httpx

#: (kind, method, path, parameters): what HR staff ask.
REQUESTS: list[tuple[str, str, str, dict[str, str]]] = [
    ("finder", "GET", "/api/finder", {"title": "медсестра"}),
    (
        "finder",
        "GET",
        "/api/finder",
        {"title": "Мейіргер", "qualification-level": "орташа", "category": "бірінші"},
    ),
    ("finder", "GET", "/api/finder", {"title": "врач второй категории"}),
    ("finder page", "GET", "/finder", {"title": "Мейіргер", "category": "first"}),
    ("search", "GET", "/api/search", {"q": "медбике"}),
    ("search", "GET", "/api/search", {"q": "врач второй категории"}),
    ("search", "GET", "/api/search", {"q": "Облыстық маңызы бар ММ басшысының орынбасары"}),
    ("search", "GET", "/api/search", {"q": "водитель"}),
    ("search page", "GET", "/search", {"q": "маман", "page": "2"}),
    ("suggest", "GET", "/reconcile/suggest/entity", {"prefix": "медсес", "type": "position"}),
]
BATCH = {
    f"q{i}": q
    for i, q in enumerate(
        [
            {
                "query": "Мейіргер",
                "type": "position",
                "properties": [
                    {"pid": "qualification-level", "v": "средний"},
                    {"pid": "category", "v": "первая"},
                ],
            },
            {
                "query": "врач",
                "type": "position",
                "properties": [{"pid": "category", "v": "вторая"}],
            },
            {"query": "Бухгалтер", "type": "position"},
            {"query": "завхоз"},
            {"query": "водитель"},
        ]
        * 4
    )
}


def timed(client: httpx.Client, method: str, path: str, params: dict[str, str]) -> float:
    start = time.perf_counter()
    if method == "GET":
        r = client.get(path, params=params)
    else:
        r = client.post(
            path,
            content=urlencode(params),
            headers={"Content-Type": "application/x-www-form-urlencoded; charset=UTF-8"},
        )
    elapsed = time.perf_counter() - start
    r.raise_for_status()
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="http://127.0.0.1:8000")
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    requests = list(REQUESTS)
    requests.append(
        (
            "reconcile (20 queries)",
            "POST",
            "/reconcile",
            {"queries": json.dumps(BATCH, ensure_ascii=False)},
        )
    )
    times: dict[str, list[float]] = {}
    with httpx.Client(base_url=args.url, timeout=60) as client:
        for _, method, path, params in requests:  # warm-up
            timed(client, method, path, params)
        for _ in range(args.runs):
            for kind, method, path, params in requests:
                times.setdefault(kind, []).append(timed(client, method, path, params))
    print(f"{args.url}, {args.runs} runs per request (ms)")
    print(f"{'request':<24} {'n':>5} {'median':>8} {'p90':>8} {'max':>8}")
    for kind, values in times.items():
        values.sort()
        p90 = values[min(len(values) - 1, int(0.9 * len(values)))]
        print(
            f"{kind:<24} {len(values):>5} {1000 * statistics.median(values):>8.1f} "
            f"{1000 * p90:>8.1f} {1000 * values[-1]:>8.1f}"
        )


if __name__ == "__main__":
    main()
