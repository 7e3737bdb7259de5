"""Benchmark: this project's SPARQL endpoint against `oxigraph serve` on the same dump.

Not a test: it prints figures and asserts nothing about time. Both servers get the same
N-Triples dump, the same fixed mix of realistic queries and the same number of concurrent
keep-alive HTTP/1.1 clients, in two mixes:

- hot:  the same few queries again and again (our response cache answers them);
- cold: every request distinct (a nonce in a VALUES clause), so each one is parsed and
        evaluated by both engines.

For each query it prints requests/s, p50/p99 latency, the throughput ratio kg/oxigraph and the
geometric mean of the ratios per mix.

The load generator is a minimal asyncio HTTP/1.1 client rather than httpx: on a 2-core machine
the client shares the CPU with the server, and httpx spends more time per request than the
servers do, which would measure the client.

    .venv/bin/python bench/sparql.py [--dump PATH] [--clients 8] [--seconds 4]
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import math
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from kg.settings import Settings  # noqa: E402  (the script runs from a checkout)

FIXTURE = ROOT / "tests" / "fixtures" / "release-mini" / "register.nt"
DIST = ROOT / "dist" / "register.nt"
SKOS = "http://www.w3.org/2004/02/skos/core#"
KG = "https://reg1042.example.org/def#"
BASE = "https://reg1042.example.org/"
PREFIXES = f"PREFIX skos: <{SKOS}>\nPREFIX kg: <{KG}>\n"
JSON = "application/sparql-results+json"
TURTLE = "text/turtle"


@dataclass(frozen=True)
class BenchQuery:
    """One query of the mix; `{nonce}` is where the cold mix makes each request distinct."""

    name: str
    template: str
    accept: str

    def text(self, nonce: int | None) -> str:
        values = f"VALUES ?nonce {{ {nonce} }}" if nonce is not None else ""
        return self.template.replace("{nonce}", values)


QUERIES = (
    BenchQuery(
        "label lookup",
        PREFIXES
        + f"SELECT ?label WHERE {{ {{nonce}} <{BASE}position/A1-1.01> skos:prefLabel ?label }}",
        JSON,
    ),
    BenchQuery(
        "hierarchy broader+",
        PREFIXES
        + "SELECT ?concept ?code WHERE { {nonce} ?block a kg:Block ; skos:notation ?b .\n"
        + 'FILTER (STR(?b) = "B") ?concept skos:broader+ ?block ; skos:notation ?code }\n'
        + "ORDER BY ?code",
        JSON,
    ),
    BenchQuery(
        "count by tier",
        PREFIXES
        + "SELECT ?tier (COUNT(?p) AS ?n) WHERE { {nonce} ?p a kg:Position ; kg:tier ?t .\n"
        + "?t skos:notation ?tier } GROUP BY ?tier ORDER BY ?tier",
        JSON,
    ),
    BenchQuery("describe concept", f"DESCRIBE <{BASE}tier/A1> WHERE {{ {{nonce}} }}", TURTLE),
    BenchQuery(
        "optional listing",
        PREFIXES
        + "SELECT ?p ?code ?label ?grade ?sector ?level ?category ?type WHERE { {nonce}\n"
        + "?p a kg:Position ; skos:notation ?code ; skos:prefLabel ?label ; kg:grade ?g .\n"
        + "?g skos:notation ?grade .\n"
        + "OPTIONAL { ?g kg:sector ?sector } OPTIONAL { ?g kg:qualificationLevel ?level }\n"
        + "OPTIONAL { ?g kg:category ?category } OPTIONAL { ?p kg:institutionType ?type }\n"
        + "} ORDER BY ?code LIMIT 200",
        JSON,
    ),
)

# ---------------------------------------------------------------------------- servers


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_ready(port: int, path: str, process: subprocess.Popen[bytes], what: str) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{what} exited with {process.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as s:
                s.sendall(f"GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode())
                if s.recv(12).startswith(b"HTTP/1.1 200"):
                    return
        except OSError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"{what} did not become ready")


@contextmanager
def running(cmd: list[str], port: int, ready_path: str, what: str, log: Path) -> Iterator[None]:
    with open(log, "wb") as out:
        process = subprocess.Popen(cmd, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT)
    try:
        wait_ready(port, ready_path, process, what)
        yield
    finally:
        process.terminate()
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)


def oxigraph_binary() -> str:
    found = shutil.which("oxigraph") or str(Path(sys.executable).with_name("oxigraph"))
    if not Path(found).exists():
        raise SystemExit("the `oxigraph` command is missing: pip install oxigraph")
    return found


# ---------------------------------------------------------------------------- load generator


class Connection:
    """One keep-alive HTTP/1.1 connection that sends GETs and reads whole responses."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def get(self, request: bytes) -> tuple[int, bytes]:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection("127.0.0.1", self.port)
        assert self.reader is not None
        self.writer.write(request)
        head = await self.reader.readuntil(b"\r\n\r\n")
        status = int(head[9:12])
        headers = head.lower()
        if b"transfer-encoding: chunked" in headers:
            parts = []
            while True:
                size = int((await self.reader.readuntil(b"\r\n")).split(b";")[0], 16)
                if size == 0:
                    await self.reader.readuntil(b"\r\n")
                    break
                parts.append((await self.reader.readexactly(size + 2))[:-2])
            body = b"".join(parts)
        else:
            start = headers.index(b"content-length:") + len(b"content-length:")
            length = int(headers[start : headers.index(b"\r\n", start)])
            body = await self.reader.readexactly(length)
        if b"connection: close" in headers:
            self.writer.close()
            self.writer = None
        return status, body


def request_bytes(path: str, query: str, accept: str) -> bytes:
    target = f"{path}?query={quote(query, safe='')}"
    return f"GET {target} HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: {accept}\r\n\r\n".encode()


@dataclass
class Measurement:
    requests: int
    seconds: float
    latencies: list[float]
    errors: int

    @property
    def rate(self) -> float:
        return self.requests / self.seconds

    def percentile(self, p: float) -> float:
        xs = sorted(self.latencies)
        return xs[min(len(xs) - 1, int(p * len(xs)))] * 1000 if xs else float("nan")


async def load(
    port: int, make_request: Callable[[int], bytes], clients: int, seconds: float
) -> Measurement:
    """`clients` connections send requests back to back for `seconds`."""
    latencies: list[float] = []
    errors = 0
    counter = iter(range(10**12))
    deadline = time.perf_counter() + seconds

    async def client() -> None:
        nonlocal errors
        conn = Connection(port)
        while time.perf_counter() < deadline:
            req = make_request(next(counter))
            started = time.perf_counter()
            status, _ = await conn.get(req)
            latencies.append(time.perf_counter() - started)
            if status != 200:
                errors += 1
        if conn.writer is not None:
            conn.writer.close()

    started = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(clients)))
    return Measurement(len(latencies), time.perf_counter() - started, latencies, errors)


# ---------------------------------------------------------------------------- the run


def run(args: argparse.Namespace) -> None:
    dump = Path(args.dump).resolve()
    with tempfile.TemporaryDirectory(prefix="kg-bench-") as tmp_name:
        tmp = Path(tmp_name)
        release = tmp / "release"
        release.mkdir()
        os.symlink(dump, release / "register.nt")
        oxi = oxigraph_binary()
        subprocess.run(
            [oxi, "load", "--location", str(tmp / "oxi"), "--file", str(dump)],
            check=True,
            capture_output=True,
        )
        kg_port, oxi_port = free_port(), free_port()
        kg_cmd = [sys.executable, "-m", "kg.cli", "serve", "--release", str(release)]
        kg_cmd += ["--port", str(kg_port)]
        kg_cmd += ["--sparql-rate", "0"]  # one loopback client: no per-client rate limit
        if args.kg_workers:
            kg_cmd += ["--workers", str(args.kg_workers)]
        if args.kg_http_workers:
            kg_cmd += ["--http-workers", str(args.kg_http_workers)]
        defaults = Settings()
        http_workers = args.kg_http_workers or defaults.http_workers
        query_workers = args.kg_workers or defaults.workers
        oxi_cmd = [oxi, "serve", "--location", str(tmp / "oxi"), "--bind", f"127.0.0.1:{oxi_port}"]
        servers = {"kg": (kg_port, "/sparql"), "oxigraph": (oxi_port, "/query")}
        with (
            running(kg_cmd, kg_port, "/healthz", "kg server", tmp / "kg.log"),
            running(oxi_cmd, oxi_port, "/", "oxigraph serve", tmp / "oxi.log"),
        ):
            print(f"dump: {dump} ({dump.stat().st_size} bytes)")
            print(
                f"clients: {args.clients} concurrent keep-alive connections, {args.seconds:g} s "
                f"per query and server; kg: {http_workers} HTTP worker(s) x {query_workers} "
                f"query workers; CPUs: {os.cpu_count()}"
            )
            check_answers(servers)
            print(f"load average before: {os.getloadavg()[0]:.2f}")
            for mix in args.mixes:
                report(mix, measure(mix, servers, args))
            print(f"\nload average after: {os.getloadavg()[0]:.2f} (other processes add noise)")


def check_answers(servers: dict[str, tuple[int, str]]) -> None:
    """Both servers must give the same number of results, or the comparison means nothing."""

    async def count(port: int, path: str, q: BenchQuery) -> int:
        status, body = await Connection(port).get(request_bytes(path, q.text(1), q.accept))
        if status != 200:
            raise RuntimeError(f"{q.name}: status {status}: {body[:300]!r}")
        return body.count(b'{"') if q.accept == JSON else body.count(b"\n")

    for q in QUERIES:
        counts = {name: asyncio.run(count(port, path, q)) for name, (port, path) in servers.items()}
        if q.accept == JSON and len(set(counts.values())) != 1:
            raise RuntimeError(f"{q.name}: the servers disagree: {counts}")


def measure(
    mix: str, servers: dict[str, tuple[int, str]], args: argparse.Namespace
) -> dict[str, dict[str, Measurement]]:
    """Per query, the servers take turns in short rounds, so a noisy neighbour hits both."""
    results: dict[str, dict[str, Measurement]] = {}
    nonces = itertools.count(1)  # never reused: a cold request is never a cache hit
    for q in QUERIES:
        makers = {}
        for name, (port, path) in servers.items():
            fixed = request_bytes(path, q.text(None), q.accept)

            def make(_: int, q: BenchQuery = q, path: str = path, fixed: bytes = fixed) -> bytes:
                return (
                    fixed if mix == "hot" else request_bytes(path, q.text(next(nonces)), q.accept)
                )

            makers[name] = make
            asyncio.run(load(port, make, args.clients, min(1.0, args.seconds / 4)))  # warm up
        parts: dict[str, list[Measurement]] = {name: [] for name in servers}
        for _ in range(args.rounds):
            for name, (port, _path) in servers.items():
                seconds = args.seconds / args.rounds
                parts[name].append(asyncio.run(load(port, makers[name], args.clients, seconds)))
        results[q.name] = {
            name: Measurement(
                sum(m.requests for m in ms),
                sum(m.seconds for m in ms),
                [x for m in ms for x in m.latencies],
                sum(m.errors for m in ms),
            )
            for name, ms in parts.items()
        }
    return results


def report(mix: str, results: dict[str, dict[str, Measurement]]) -> None:
    print(f"\n{mix} mix")
    columns = f"{'req/s':>9} {'p50 ms':>7} {'p99 ms':>7}"
    header = f"{'query':20} kg {columns}   oxigraph {columns}   {'kg/oxi':>6}"
    print(header)
    print("-" * len(header))
    ratios = []
    for name, by_server in results.items():
        k, o = by_server["kg"], by_server["oxigraph"]
        ratio = k.rate / o.rate
        ratios.append(ratio)
        errors = f"  errors: kg {k.errors}, oxigraph {o.errors}" if k.errors or o.errors else ""
        print(
            f"{name:20}    {k.rate:9.0f} {k.percentile(0.5):7.2f} {k.percentile(0.99):7.2f}"
            f"            {o.rate:9.0f} {o.percentile(0.5):7.2f} {o.percentile(0.99):7.2f}"
            f"   {ratio:6.2f}{errors}"
        )
    geo = math.exp(statistics.fmean(math.log(r) for r in ratios))
    print(f"{'geometric mean':20}{'':>69}{geo:6.2f}")


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--dump", default=str(DIST if DIST.exists() else FIXTURE), help="N-Triples dump")
    p.add_argument("--clients", type=int, default=8, help="concurrent connections")
    p.add_argument("--seconds", type=float, default=4.0, help="measuring time per query and server")
    p.add_argument("--rounds", type=int, default=4, help="turns each server takes per query")
    p.add_argument("--mixes", nargs="+", default=["hot", "cold"], choices=["hot", "cold"])
    p.add_argument("--kg-workers", type=int, help="query workers per HTTP worker (serve's default)")
    p.add_argument("--kg-http-workers", type=int, help="uvicorn worker processes (serve's default)")
    run(p.parse_args(argv))


if __name__ == "__main__":
    main()
