"""Benchmark: resident memory of `kg serve` against `oxigraph serve-read-only` on the same dump.

Not a test: it prints figures and asserts nothing. It starts `kg serve --release RELEASE`
with serve's defaults (plus `--sparql-rate 0`: one loopback client, and any `--kg-arg`) and
`oxigraph serve-read-only` on the release's register.nt, then for each server:

- warm-up: every query of bench/sparql.py's mix a few times, plus for kg the home page, a
  position page and a search;
- burst: 2,000 cold SPARQL queries (a nonce in each, so nothing is answered from a cache)
  with 8 concurrent clients, plus for kg 200 page requests (position pages and searches).

After the warm-up and after the burst it prints RSS and PSS of every process of both trees
by role (kg serve (main), HTTP worker, zygote, query worker, resource tracker), the
totals, the ratios kg/oxigraph and the goal: the kg tree within 200 MB of RSS. RSS sums
count a page shared by several processes once per process; PSS sums share it out, so they
are the tree's real footprint. Read the ratios, and the goal on this machine's figures.

    .venv/bin/python bench/memory.py [--release dist] [--burst 2000] [--kg-arg=--workers=1 ...]
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import re
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.proctree import Memory, tree_memory  # noqa: E402
from bench.sparql import (  # noqa: E402
    BASE,
    QUERIES,
    Connection,
    all_workers_ready,
    free_port,
    load_average,
    oxigraph_binary,
    oxigraph_store,
    request_bytes,
    running,
    selected,
)
from kg.settings import Settings  # noqa: E402

GOAL_MB = 200  # RSS of the whole kg tree
MB = 2**20
# oxigraph takes about a second for "optional listing" where kg takes 20 ms; sending it 300
# times cold would make the burst minutes long without changing what memory it shows
BURST_QUERIES = [q.name for q in QUERIES if q.name != "optional listing"]


def role(m: Memory, parent: str | None) -> str:
    """What a process of either tree is, from its command line and its parent's role."""
    if parent is None:
        return "kg serve (main)" if "kg.cli" in m.command else m.command.split()[0].rsplit("/")[-1]
    if "resource_tracker" in m.command:
        return "resource tracker"
    if "multiprocessing.spawn" in m.command:
        return "HTTP worker"
    if "kg.query.worker" in m.command:  # the zygote, and the query workers forked from it
        return "query worker" if parent == "zygote" else "zygote"
    return m.command[:40]


def rows(pid: int) -> list[tuple[Memory, str]]:
    out: list[tuple[Memory, str]] = []
    roles: dict[int, str] = {}  # depth -> role of the latest process at that depth
    for m in tree_memory(pid):
        roles[m.depth] = role(m, roles.get(m.depth - 1) if m.depth else None)
        out.append((m, roles[m.depth]))
    return out


def snapshot(title: str, pids: dict[str, int]) -> dict[str, tuple[int, int]]:
    """Print every process of both trees; return (RSS, PSS) totals per server."""
    print(f"\n{title} (load average {load_average()})")
    print(f"{'server':9} {'pid':>7} {'RSS MB':>7} {'PSS MB':>7}  process")
    totals = {}
    for name, pid in pids.items():
        found = rows(pid)
        for m, what in found:
            print(f"{name:9} {m.pid:7} {m.rss / MB:7.1f} {m.pss / MB:7.1f}  {'  ' * m.depth}{what}")
        rss, pss = sum(m.rss for m, _ in found), sum(m.pss for m, _ in found)
        totals[name] = (rss, pss)
        print(f"{name:9} {'total':>7} {rss / MB:7.1f} {pss / MB:7.1f}  ({len(found)} processes)")
    (k_rss, k_pss), (o_rss, o_pss) = totals["kg"], totals["oxigraph"]
    met = "met" if k_rss <= GOAL_MB * MB else "not met"
    print(
        f"kg/oxigraph: RSS {k_rss / o_rss:.2f}x, PSS {k_pss / o_pss:.2f}x; "
        f"goal kg tree <= {GOAL_MB} MB RSS: {met} ({k_rss / MB:.0f} MB)"
    )
    return totals


async def send_all(port: int, requests: list[bytes], clients: int) -> int:
    """Send every request once over `clients` keep-alive connections; the number not 200."""
    pending = iter(requests)
    errors = 0

    async def client() -> None:
        nonlocal errors
        conn = Connection(port)
        for request in pending:
            status, _ = await conn.get(request)
            errors += status != 200
        if conn.writer is not None:
            conn.writer.close()

    await asyncio.gather(*(client() for _ in range(clients)))
    return errors


def page(path: str) -> bytes:
    return f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/html\r\n\r\n".encode()


def positions(dump: Path) -> list[str]:
    found = re.findall(rf"^<{re.escape(BASE)}(position/[^>#]+)>", dump.read_text(), re.M)
    return sorted(set(found))


SEARCHES = ["бас", "маман", "директор", "A1", "бөлім", "главный", "специалист", "B2", "басшы"]


def run(args: argparse.Namespace, release: Path, tmp: Path) -> None:
    dump = release / "register.nt"
    store = oxigraph_store(dump, tmp / "oxi")
    kg_port, oxi_port = free_port(), free_port()
    kg_cmd = [sys.executable, "-m", "kg.cli", "serve", "--release", str(release)]
    kg_cmd += ["--port", str(kg_port), "--sparql-rate", "0", *args.kg_arg]
    oxi_cmd = [oxigraph_binary(), "serve-read-only", "--location", str(store)]
    oxi_cmd += ["--bind", f"127.0.0.1:{oxi_port}"]
    defaults = Settings()
    given = argparse.ArgumentParser(add_help=False)
    given.add_argument("--http-workers", type=int, default=defaults.http_workers)
    given.add_argument("--workers", type=int, default=defaults.workers)
    given.add_argument("--page-workers", type=int, default=defaults.page_workers)
    kg_settings, _ = given.parse_known_args(args.kg_arg)
    with (
        running(kg_cmd, kg_port, "/healthz", "kg serve", tmp / "kg.log") as kg,
        running(oxi_cmd, oxi_port, "/", "oxigraph serve-read-only", tmp / "oxi.log") as oxi,
    ):
        all_workers_ready(kg_port, kg_settings.http_workers, kg_settings.workers)
        print(f"{time.strftime('%Y-%m-%d %H:%M')}, release: {release}")
        print(
            f"kg serve --release RELEASE --sparql-rate 0{''.join(' ' + a for a in args.kg_arg)} "
            f"({kg_settings.http_workers} HTTP workers x {kg_settings.workers} query workers "
            f"+ {kg_settings.page_workers} for pages) vs oxigraph serve-read-only"
        )
        servers = {"kg": (kg_port, "/sparql"), "oxigraph": (oxi_port, "/query")}
        pids = {"kg": kg.pid, "oxigraph": oxi.pid}
        code = "position/A1-1.01"
        kg_pages = [page("/"), page(f"/{code}.html"), page(f"/search?q={quote('маман')}")]
        nonces = itertools.count(1)
        for name, (port, path) in servers.items():
            warm = [
                request_bytes(path, q.text(nonce), q.accept)
                for q in QUERIES
                for nonce in (None, None, None, next(nonces))
            ]
            warm += kg_pages * 3 if name == "kg" else []
            errors = asyncio.run(send_all(port, warm, 4))
            if errors:
                print(f"warning: {errors} warm-up requests to {name} were not answered with 200")
        snapshot("after warm-up", pids)

        burst_queries = selected(BURST_QUERIES)
        codes = positions(dump)
        for name, (port, path) in servers.items():
            started = time.perf_counter()
            burst = [
                request_bytes(path, q.text(next(nonces)), q.accept)
                for q in itertools.islice(itertools.cycle(burst_queries), args.burst)
            ]
            if name == "kg":
                burst += [
                    page(f"/{codes[i % len(codes)]}.html")
                    if i % 2
                    else page(f"/search?q={quote(SEARCHES[i % len(SEARCHES)])}{i}")
                    for i in range(args.pages)
                ]
            errors = asyncio.run(send_all(port, burst, args.clients))
            print(
                f"burst to {name}: {len(burst)} requests in {time.perf_counter() - started:.1f} s"
                + (f", {errors} not answered with 200" if errors else "")
            )
        snapshot("after the burst", pids)


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--release", help="release folder (default: build one into a temp folder)")
    p.add_argument("--burst", type=int, default=2000, help="cold SPARQL queries of the burst")
    p.add_argument("--pages", type=int, default=200, help="page requests of kg's burst")
    p.add_argument("--clients", type=int, default=8, help="concurrent connections of the burst")
    p.add_argument(
        "--kg-arg",
        action="append",
        default=[],
        help="extra argument for kg serve, repeatable (--kg-arg=--workers=1)",
    )
    args = p.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="kg-bench-memory-") as tmp_name:
        tmp = Path(tmp_name)
        if args.release:
            release = Path(args.release).resolve()
        else:
            from kg.release.build import build

            build(tmp / "dist")
            release = (tmp / "dist").resolve()
        run(args, release, tmp)


if __name__ == "__main__":
    main()
