"""Drive a running `kg serve` with a realistic mix and print throughput and latency per kind.

    python bench/load.py [--url http://127.0.0.1:8000] [--clients 32] [--seconds 60]

The mix is discovered from the server itself, so it follows the routes that exist: concept
pages from /browse.json (HTML and Turtle), searches with words of real labels, reconciliation
batches of real titles, SPARQL queries (a cached one and fresh ones with a never-repeated
comment, so a worker evaluates them), and dump downloads listed by /downloads.json. Routes
the server lacks are left out of the mix and said so. Every answer must be 2xx or 3xx;
anything else (or a connection error) counts as an error. No assertions: figures only.

Why asyncio and one httpx client: 32 clients must not need 32 threads on a 2-core machine
that also runs the server; the generator's own CPU use is printed so it can be judged.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import random
import resource
import time
from collections import defaultdict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

SKOS = "http://www.w3.org/2004/02/skos/core#"

#: Relative weights of the kinds of request (a crawler- and portal-heavy day).
WEIGHTS = {
    "page html": 30,
    "page turtle": 12,
    "search api": 14,
    "search html": 5,
    "reconcile batch": 8,
    "sparql cached": 12,
    "sparql fresh": 9,
    "dump download": 3,
    "healthz": 2,
}


@dataclass
class Mix:
    """What to ask for: discovered from the running server."""

    pages: list[str]
    words: list[str]
    titles: list[str]
    dumps: list[str]
    kinds: dict[str, int]
    skipped: list[str] = field(default_factory=list)


@dataclass
class Stats:
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    examples: dict[str, str] = field(default_factory=dict)
    bytes: int = 0


async def wait_until_up(client: httpx.AsyncClient, limit: float = 120.0) -> None:
    """Wait (bounded) until /healthz answers 200."""
    deadline = time.monotonic() + limit
    while True:
        try:
            if (await client.get("/healthz")).status_code == 200:
                return
        except httpx.HTTPError:
            if time.monotonic() > deadline:
                raise
        await asyncio.sleep(0.2)


async def discover(client: httpx.AsyncClient) -> Mix:
    """Concept pages, label words, titles and dumps from the server's own JSON twins."""
    kinds = dict(WEIGHTS)
    skipped: list[str] = []
    pages: list[str] = []
    titles: list[str] = []
    browse = await client.get("/browse.json")
    if browse.status_code == 200:

        def walk(node: Any) -> None:
            if isinstance(node, dict):
                href, label = node.get("href"), node.get("label")
                if isinstance(href, str) and href.count("/") == 2 and isinstance(label, str):
                    pages.append(href)
                    titles.append(label)
                for value in node.values():
                    walk(value)
            elif isinstance(node, list):
                for value in node:
                    walk(value)

        walk(browse.json())
    if not pages:  # no page routes: fall back to SPARQL for IRIs, and drop page kinds
        for kind in ("page html", "page turtle"):
            kinds.pop(kind)
            skipped.append(kind)
    words = sorted({w for t in titles for w in t.split() if len(w) > 4}) or ["бухгалтер"]
    dumps: list[str] = []
    listing = await client.get("/downloads.json")
    if listing.status_code == 200:
        dumps = [
            f["href"]
            for f in listing.json().get("files", [])
            if f["name"].endswith((".ttl", ".nt", ".csv"))
        ]
    for kind, path in (
        ("dump download", dumps[0] if dumps else "/downloads/register.nt"),
        ("search api", "/api/search?q=x"),
        ("search html", "/search?q=x"),
        ("reconcile batch", "/reconcile"),
    ):
        if (await client.get(path)).status_code >= 400:
            kinds.pop(kind, None)
            skipped.append(kind)
    return Mix(pages, words, titles or ["Бухгалтер"], dumps, kinds, skipped)


def requests_for(
    mix: Mix, rng: random.Random, nonce: itertools.count[int]
) -> dict[str, Callable[[httpx.AsyncClient], Awaitable[httpx.Response]]]:
    """One request maker per kind."""

    def page_html(c: httpx.AsyncClient) -> Awaitable[httpx.Response]:
        return c.get(rng.choice(mix.pages), headers={"Accept": "text/html"})

    def page_turtle(c: httpx.AsyncClient) -> Awaitable[httpx.Response]:
        return c.get(rng.choice(mix.pages) + ".ttl")

    def search_api(c: httpx.AsyncClient) -> Awaitable[httpx.Response]:
        return c.get("/api/search", params={"q": rng.choice(mix.words)[: rng.randint(4, 12)]})

    def search_html(c: httpx.AsyncClient) -> Awaitable[httpx.Response]:
        return c.get(
            "/search", params={"q": rng.choice(mix.words)}, headers={"Accept": "text/html"}
        )

    def reconcile(c: httpx.AsyncClient) -> Awaitable[httpx.Response]:
        batch = {f"q{i}": {"query": rng.choice(mix.titles), "type": "position"} for i in range(10)}
        return c.post("/reconcile", data={"queries": json.dumps(batch, ensure_ascii=False)})

    def sparql_cached(c: httpx.AsyncClient) -> Awaitable[httpx.Response]:
        query = rng.choice(CACHED_QUERIES)
        return c.get(
            "/sparql",
            params={"query": query},
            headers={"Accept": "application/sparql-results+json"},
        )

    def sparql_fresh(c: httpx.AsyncClient) -> Awaitable[httpx.Response]:
        query = rng.choice(FRESH_QUERIES) + f"\n# {next(nonce)}"
        accept = "application/sparql-results+json, text/turtle;q=0.9"
        return c.post("/sparql", data={"query": query}, headers={"Accept": accept})

    def dump(c: httpx.AsyncClient) -> Awaitable[httpx.Response]:
        return c.get(rng.choice(mix.dumps) if mix.dumps else "/downloads/register.nt")

    def healthz(c: httpx.AsyncClient) -> Awaitable[httpx.Response]:
        return c.get("/healthz")

    makers = {
        "page html": page_html,
        "page turtle": page_turtle,
        "search api": search_api,
        "search html": search_html,
        "reconcile batch": reconcile,
        "sparql cached": sparql_cached,
        "sparql fresh": sparql_fresh,
        "dump download": dump,
        "healthz": healthz,
    }
    return {k: v for k, v in makers.items() if k in mix.kinds}


CACHED_QUERIES = [
    f"PREFIX skos: <{SKOS}> SELECT ?s ?l WHERE {{ ?s skos:prefLabel ?l FILTER(LANG(?l) = 'kk') }} LIMIT 100",
    f"PREFIX skos: <{SKOS}> SELECT (COUNT(*) AS ?n) WHERE {{ ?s skos:broader ?o }}",
    "ASK { ?s ?p ?o }",
]
FRESH_QUERIES = [
    f"PREFIX skos: <{SKOS}> SELECT ?s ?n WHERE {{ ?s skos:notation ?n FILTER(STRSTARTS(STR(?n), 'B2')) }}",
    f"PREFIX skos: <{SKOS}> SELECT ?a WHERE {{ ?s skos:broader+ ?a }} LIMIT 200",
    f"PREFIX skos: <{SKOS}> CONSTRUCT {{ ?s skos:prefLabel ?l }} WHERE {{ ?s skos:prefLabel ?l }} LIMIT 300",
]


async def client_loop(
    client: httpx.AsyncClient,
    makers: dict[str, Callable[[httpx.AsyncClient], Awaitable[httpx.Response]]],
    weights: dict[str, int],
    deadline: float,
    stats: Stats,
    rng: random.Random,
) -> None:
    kinds = list(makers)
    cumulative = list(itertools.accumulate(weights[k] for k in kinds))
    while time.perf_counter() < deadline:
        kind = rng.choices(kinds, cum_weights=cumulative)[0]
        started = time.perf_counter()
        try:
            r = await makers[kind](client)
            elapsed = time.perf_counter() - started
            if r.status_code >= 400:
                stats.errors[kind] += 1
                stats.examples.setdefault(kind, f"{r.status_code} {r.text[:120]!r}")
            else:
                stats.latencies[kind].append(elapsed)
                stats.bytes += len(r.content)
        except httpx.HTTPError as e:
            stats.errors[kind] += 1
            stats.examples.setdefault(kind, repr(e)[:160])


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


async def run(
    url: str, clients: int, seconds: float, seed: int = 1042, quiet: bool = False
) -> dict[str, Any]:
    """Run the mix; returns {"throughput": req/s, "errors": n, "kinds": {...}} and prints."""
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    timeout = httpx.Timeout(60.0)
    async with httpx.AsyncClient(base_url=url, limits=limits, timeout=timeout) as client:
        await wait_until_up(client)
        mix = await discover(client)
        rng = random.Random(seed)
        makers = requests_for(mix, rng, itertools.count(int(time.time() * 1000)))
        stats = Stats()
        cpu0 = resource.getrusage(resource.RUSAGE_SELF)
        started = time.perf_counter()
        deadline = started + seconds
        await asyncio.gather(
            *(
                client_loop(client, makers, mix.kinds, deadline, stats, random.Random(seed + i))
                for i in range(clients)
            )
        )
        wall = time.perf_counter() - started
        cpu1 = resource.getrusage(resource.RUSAGE_SELF)
    done = sum(len(v) for v in stats.latencies.values())
    errors = sum(stats.errors.values())
    result: dict[str, Any] = {
        "throughput": done / wall,
        "errors": errors,
        "wall": wall,
        "kinds": {},
    }
    for kind in makers:
        lat = stats.latencies.get(kind, [])
        result["kinds"][kind] = {
            "n": len(lat),
            "rate": len(lat) / wall,
            "p50": percentile(lat, 0.50) * 1000,
            "p99": percentile(lat, 0.99) * 1000,
            "errors": stats.errors.get(kind, 0),
        }
    if not quiet:
        generator_cpu = (cpu1.ru_utime + cpu1.ru_stime - cpu0.ru_utime - cpu0.ru_stime) / wall
        load = " ".join(f"{x:.1f}" for x in os.getloadavg())
        print(f"{url}: {clients} clients for {wall:.1f} s (load average now {load})")
        if mix.skipped:
            print(f"  not in this server (left out): {', '.join(mix.skipped)}")
        print(
            f"  {'kind':18} {'requests':>9} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'errors':>7}"
        )
        for kind, k in result["kinds"].items():
            print(
                f"  {kind:18} {k['n']:9d} {k['rate']:8.1f} {k['p50']:8.1f} {k['p99']:8.1f} {k['errors']:7d}"
            )
        print(f"  {'total':18} {done:9d} {result['throughput']:8.1f} {'':8} {'':8} {errors:7d}")
        print(
            f"  {stats.bytes / wall / 1e6:.1f} MB/s of answers; load generator CPU: {generator_cpu:.2f} cores"
        )
        for kind, example in stats.examples.items():
            print(f"  first error of {kind}: {example}")
    return result


def main() -> None:
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--url", default="http://127.0.0.1:8000")
    p.add_argument("--clients", type=int, default=32)
    p.add_argument("--seconds", type=float, default=60.0)
    p.add_argument("--seed", type=int, default=1042)
    a = p.parse_args()
    asyncio.run(run(a.url.rstrip("/"), a.clients, a.seconds, a.seed))


if __name__ == "__main__":
    main()
