"""Benchmark: this project's SPARQL endpoint against `oxigraph serve` on the same dump.

Not a test: it prints figures and asserts nothing about time. Both servers get the same
N-Triples dump, the same fixed mix of realistic queries and the same number of concurrent
keep-alive HTTP/1.1 clients, in two mixes:

- hot:  the same few queries again and again (our response cache answers them);
- cold: every request distinct (a nonce in a VALUES clause), so each one is parsed and
        evaluated by both engines.

The servers take turns in short rounds (interleaved), so a noisy neighbour slows both. For
each query of each mix it prints, for both servers, requests/s and the CPU time per request of
the server's whole process tree (utime+stime from /proc, before and after each round: steadier
than requests/s on a loaded machine), and the ratios kg/oxigraph of requests/s and of requests
per CPU second, each with the goal (hot >= 1.0x, cold >= 0.5x: met / not met), then the
geometric mean of the ratios per mix. Read the ratios: the absolute figures depend on the
machine and its load (printed before and after).

The load generator is a minimal asyncio HTTP/1.1 client rather than httpx: on a 2-core machine
the client shares the CPU with the server, and httpx spends more time per request than the
servers do, which would measure the client.

    .venv/bin/python bench/sparql.py [--dump PATH] [--clients 8] [--seconds 4] [--rounds 4]
        [--queries ask label ...] [--oxigraph-command serve-read-only|serve]
        [--kg-arg=--cache-bytes=0 ...]
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import itertools
import json
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

from bench.proctree import cpu_used, tree_cpu  # noqa: E402
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
        "ask exists",
        PREFIXES + f"ASK {{ {{nonce}} <{BASE}position/A1-1.01> skos:prefLabel ?label }}",
        JSON,
    ),
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
def running(
    cmd: list[str], port: int, ready_path: str, what: str, log: Path
) -> Iterator[subprocess.Popen[bytes]]:
    with open(log, "wb") as out:
        process = subprocess.Popen(cmd, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT)
    try:
        wait_ready(port, ready_path, process, what)
        yield process
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


@dataclass(frozen=True)
class Server:
    name: str
    port: int
    path: str  # of the SPARQL endpoint
    pid: int  # root of the process tree whose CPU time is counted


def kg_command(release: Path, port: int, args: argparse.Namespace) -> list[str]:
    cmd = [sys.executable, "-m", "kg.cli", "serve", "--release", str(release)]
    cmd += ["--port", str(port)]
    cmd += ["--sparql-rate", "0"]  # one loopback client: no per-client rate limit
    if args.kg_workers:
        cmd += ["--workers", str(args.kg_workers)]
    if args.kg_http_workers:
        cmd += ["--http-workers", str(args.kg_http_workers)]
    return cmd + args.kg_arg


def release_of(dump: Path, folder: Path) -> Path:
    """A release folder that serves `dump`: the dump and a SHA256SUMS that vouches for it
    (the server refuses a release without one)."""
    folder.mkdir()
    os.symlink(dump, folder / "register.nt")
    digest = hashlib.sha256(dump.read_bytes()).hexdigest()
    (folder / "SHA256SUMS").write_text(f"{digest}  register.nt\n")
    return folder


def oxigraph_store(dump: Path, location: Path) -> Path:
    subprocess.run(
        [oxigraph_binary(), "load", "--location", str(location), "--file", str(dump)],
        check=True,
        capture_output=True,
    )
    return location


def load_average() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def run(args: argparse.Namespace) -> None:
    dump = Path(args.dump).resolve()
    with tempfile.TemporaryDirectory(prefix="kg-bench-") as tmp_name:
        tmp = Path(tmp_name)
        release = release_of(dump, tmp / "release")
        store = oxigraph_store(dump, tmp / "oxi")
        kg_port, oxi_port = free_port(), free_port()
        kg_cmd = kg_command(release, kg_port, args)
        defaults = Settings()
        http_workers = args.kg_http_workers or defaults.http_workers
        query_workers = args.kg_workers or defaults.workers
        oxi_cmd = [oxigraph_binary(), args.oxigraph_command, "--location", str(store)]
        oxi_cmd += ["--bind", f"127.0.0.1:{oxi_port}"]
        with (
            running(kg_cmd, kg_port, "/healthz", "kg serve", tmp / "kg.log") as kg,
            running(
                oxi_cmd, oxi_port, "/", f"oxigraph {args.oxigraph_command}", tmp / "oxi.log"
            ) as oxi,
        ):
            servers = [
                Server("kg", kg_port, "/sparql", kg.pid),
                Server("oxigraph", oxi_port, "/query", oxi.pid),
            ]
            print(f"{time.strftime('%Y-%m-%d %H:%M')}, dump: {dump} ({dump.stat().st_size} bytes)")
            print(
                f"clients: {args.clients} concurrent keep-alive connections, {args.seconds:g} s "
                f"per query and server in {args.rounds} interleaved rounds; kg serve: "
                f"{http_workers} HTTP worker(s) x {query_workers} query workers"
                f"{' ' + ' '.join(args.kg_arg) if args.kg_arg else ''}; "
                f"oxigraph {args.oxigraph_command}; CPUs: {os.cpu_count()}"
            )
            all_workers_ready(kg_port, http_workers, query_workers)
            check_answers(servers)
            print(f"load average before (1, 5, 15 min): {load_average()}")
            for mix in args.mixes:
                report(mix, measure(mix, servers, args))
            print(f"\nload average after: {load_average()} (other processes add noise)")


def all_workers_ready(port: int, http_workers: int, query_workers: int) -> None:
    """Wait until every HTTP worker has answered /healthz with all its query workers idle:
    the first 200 comes from whichever worker loaded first, and measuring while the others
    still load their copy of the release measures the loading."""
    ready: set[int] = set()
    deadline = time.monotonic() + 120
    while len(ready) < http_workers:
        if time.monotonic() > deadline:
            raise RuntimeError(f"only {len(ready)} of {http_workers} HTTP workers became ready")
        with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
            s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            data = b""
            while chunk := s.recv(65536):
                data += chunk
        head, _, body = data.partition(b"\r\n\r\n")
        if head.startswith(b"HTTP/1.1 200"):
            health = json.loads(body)
            if health.get("idle_workers", 0) >= min(query_workers, health.get("workers", 0)):
                ready.add(health["pid"])
        time.sleep(0.05)


def selected(names: list[str] | None = None) -> list[BenchQuery]:
    """The queries whose name contains one of `names` (all when none given)."""
    return [q for q in QUERIES if not names or any(n in q.name for n in names)]


def check_answers(servers: list[Server]) -> None:
    """Both servers must give the same number of results, or the comparison means nothing."""

    async def count(server: Server, q: BenchQuery) -> int:
        request = request_bytes(server.path, q.text(1), q.accept)
        status, body = await Connection(server.port).get(request)
        if status != 200:
            raise RuntimeError(f"{server.name}, {q.name}: status {status}: {body[:300]!r}")
        return body.count(b'{"') if q.accept == JSON else body.count(b"\n")

    for q in QUERIES:
        counts = {server.name: asyncio.run(count(server, q)) for server in servers}
        if q.accept == JSON and len(set(counts.values())) != 1:
            raise RuntimeError(f"{q.name}: the servers disagree: {counts}")


@dataclass
class Measurement:
    requests: int
    seconds: float
    latencies: list[float]
    errors: int
    cpu: float = 0.0  # CPU seconds of the server's process tree

    @property
    def rate(self) -> float:
        return self.requests / self.seconds

    @property
    def cpu_per_request(self) -> float:
        return self.cpu / self.requests if self.requests else float("nan")

    def percentile(self, p: float) -> float:
        xs = sorted(self.latencies)
        return xs[min(len(xs) - 1, int(p * len(xs)))] * 1000 if xs else float("nan")


def measured(
    server: Server, make: Callable[[int], bytes], clients: int, seconds: float
) -> Measurement:
    """One round: load for `seconds`, with the CPU time the server's tree spent meanwhile."""
    before = tree_cpu(server.pid)
    m = asyncio.run(load(server.port, make, clients, seconds))
    m.cpu = cpu_used(before, tree_cpu(server.pid))
    return m


def measure(
    mix: str, servers: list[Server], args: argparse.Namespace
) -> dict[str, dict[str, Measurement]]:
    """Per query, the servers take turns in short rounds, so a noisy neighbour hits both."""
    results: dict[str, dict[str, Measurement]] = {}
    nonces = itertools.count(1)  # never reused: a cold request is never a cache hit
    for q in selected(args.queries):
        makers = {}
        for server in servers:
            fixed = request_bytes(server.path, q.text(None), q.accept)

            def make(
                _: int, q: BenchQuery = q, path: str = server.path, fixed: bytes = fixed
            ) -> bytes:
                return (
                    fixed if mix == "hot" else request_bytes(path, q.text(next(nonces)), q.accept)
                )

            makers[server.name] = make
            asyncio.run(
                load(server.port, make, args.clients, min(1.0, args.seconds / 4))
            )  # warm up
        parts: dict[str, list[Measurement]] = {server.name: [] for server in servers}
        seconds = args.seconds / args.rounds
        for _ in range(args.rounds):
            for server in servers:
                parts[server.name].append(
                    measured(server, makers[server.name], args.clients, seconds)
                )
        results[q.name] = {
            name: Measurement(
                sum(m.requests for m in ms),
                sum(m.seconds for m in ms),
                [x for m in ms for x in m.latencies],
                sum(m.errors for m in ms),
                sum(m.cpu for m in ms),
            )
            for name, ms in parts.items()
        }
    return results


GOALS = {"hot": 1.0, "cold": 0.5}  # kg/oxigraph throughput the issue asks for, per mix


def goal(ratio: float, mix: str) -> str:
    return "met" if ratio >= GOALS[mix] else "not met"


def geometric_mean(xs: list[float]) -> float:
    return math.exp(statistics.fmean(math.log(x) for x in xs))


def report(mix: str, results: dict[str, dict[str, Measurement]]) -> None:
    """Two ratios kg/oxigraph per query, both "higher is better" with the same goal: of
    requests/s, and of requests per CPU second (oxigraph's CPU per request over kg's)."""
    print(f"\n{mix} mix (goal: kg/oxigraph >= {GOALS[mix]:.1f}x)")
    print(f"{'':18} {'requests/s':^34} | {'CPU us/request (process tree)':^43} | {'p50 ms':^13}")
    header = (
        f"{'query':18} {'kg':>7} {'oxi':>7} {'kg/oxi':>7} {'goal':>9}"
        f" | {'kg':>7} {'oxi':>7} {'kg/oxi per CPU-s':>16} {'goal':>9}"
        f" | {'kg':>6} {'oxi':>6}"
    )
    print(header)
    print("-" * len(header))
    rates, cpus = [], []
    for name, by_server in results.items():
        k, o = by_server["kg"], by_server["oxigraph"]
        rate = k.rate / o.rate
        cpu = o.cpu_per_request / k.cpu_per_request if k.cpu > 0 and o.cpu > 0 else float("nan")
        rates.append(rate)
        if not math.isnan(cpu):
            cpus.append(cpu)
        errors = f"  errors: kg {k.errors}, oxigraph {o.errors}" if k.errors or o.errors else ""
        print(
            f"{name:18} {k.rate:7.0f} {o.rate:7.0f} {rate:6.2f}x {goal(rate, mix):>9}"
            f" | {k.cpu_per_request * 1e6:7.0f} {o.cpu_per_request * 1e6:7.0f} {cpu:15.2f}x"
            f" {goal(cpu, mix):>9}"
            f" | {k.percentile(0.5):6.2f} {o.percentile(0.5):6.2f}{errors}"
        )
    rate, cpu = geometric_mean(rates), geometric_mean(cpus) if cpus else float("nan")
    print(
        f"{'geometric mean':18} {'':>15} {rate:6.2f}x {goal(rate, mix):>9}"
        f" | {'':>15} {cpu:15.2f}x {goal(cpu, mix):>9} |"
    )


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--dump", default=str(DIST if DIST.exists() else FIXTURE), help="N-Triples dump")
    p.add_argument("--clients", type=int, default=8, help="concurrent connections")
    p.add_argument("--seconds", type=float, default=4.0, help="measuring time per query and server")
    p.add_argument("--rounds", type=int, default=4, help="turns each server takes per query")
    p.add_argument("--mixes", nargs="+", default=["hot", "cold"], choices=["hot", "cold"])
    p.add_argument("--queries", nargs="+", help="only queries whose name contains one of these")
    p.add_argument("--kg-workers", type=int, help="query workers per HTTP worker (serve's default)")
    p.add_argument("--kg-http-workers", type=int, help="uvicorn worker processes (serve's default)")
    p.add_argument(
        "--kg-arg",
        action="append",
        default=[],
        help="extra argument for kg serve, repeatable (--kg-arg=--cache-bytes=0)",
    )
    p.add_argument(
        "--oxigraph-command",
        default="serve-read-only",
        choices=["serve-read-only", "serve"],
        help="how oxigraph serves the dump (default: serve-read-only, what the issue measured)",
    )
    run(p.parse_args(argv))


if __name__ == "__main__":
    main()
