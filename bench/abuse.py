"""Benchmark: a running `kg serve` under abusive requests; does it stay answerable and small?

Not a test: it prints figures (and whether the targets were met) and asserts nothing. Each
phase sends one kind of abuse, several clients at once, while a probe asks ``/healthz``
every 100 ms. Printed per phase: the statuses it got, ``/healthz`` latency (p50 and max)
and the resident memory of the server's process tree (the server, its HTTP and query worker
processes, from /proc) before, at the peak during, and after the phase.

Targets (issue 11): ``/healthz`` under 1 s throughout; memory back within 50 MB of its
start once the abuse is over.

Phases (``--phases``, default all, in this order):

- ``reconcile``: 4 MB reconciliation queries (refused, 413) and the largest batches the
  limits accept (``max_batch`` queries of ``max_query_words`` distinct words each);
- ``extend``: data extension with 20,000 duplicate properties (refused) and the largest
  request accepted (``max_batch`` ids, every property);
- ``suggest``: 64 KB suggest prefixes (refused) and ``max_prefix_chars`` ones of new words;
- ``accept``: 300 distinct 1 MB ``Accept`` headers (refused, 400) and 3,000 distinct ones
  just under ``max_accept_bytes`` (negotiated, so they pass through the caches);
- ``distinct``: 100 distinct 4 MB reconciliation queries, then 500 distinct queries of the
  largest accepted size, each searched and reconciled (they fill the caches to budget).

- ``body``: 400 MB ``Content-Length`` heads with no body, and endless chunked bodies, to
  ``/reconcile`` (refused, 413, before the body);
- ``headers``: an 8 MB header field and 100,000 header fields (refused, 431);
- ``slowloris``: 200 sockets dripping a request head one byte every 3 s (closed by the
  server's header timeout).

A phase is a function of one argument, a :class:`Run`, registered in :data:`PHASES`; it
only sends requests (``run.send``, or raw sockets) and the harness measures around it.

    kg serve --release dist --port 8000 &
    .venv/bin/python bench/abuse.py --url http://127.0.0.1:8000 [--pid PID] [--phases accept]

The server's process is found from ``/healthz`` (its ``pid`` and that process's parents
running the server), unless ``--pid`` names it; it must run on this machine.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import socket
import statistics
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx

#: Limits as kg serve sets them by default (kg.settings.Settings); --limits overrides.
DEFAULT_LIMITS = {
    "max_query_chars": 500,
    "max_query_words": 64,
    "max_batch": 1000,
    "max_batch_words": 10_000,
    "max_properties": 50,
    "max_prefix_chars": 200,
    "max_accept_bytes": 4096,
}
HEALTHZ_TARGET = 1.0
MEMORY_TARGET = 50 * 1024 * 1024
FORM = {"Content-Type": "application/x-www-form-urlencoded"}
PROPERTIES = [
    "notation",
    "block",
    "tier",
    "grade",
    "step",
    "sector",
    "qualification-level",
    "category",
    "significance-level",
    "institution-type",
    "occupation",
    "isco",
    "isco-mapping",
    "label-kk",
    "label-ru",
    "label-en",
    "label-kk-latn",
    "uri",
]
LETTERS = "абвгдежзиклмнопрстуфхцчшыэюяәғқңөұүһі"
LATIN = "abcdefghijklmnopqrstuvwxyz"
#: Words of a query that fills the reconciliation body limit (4 MiB) in ASCII.
HUGE_WORDS = 480_000


# ---------------------------------------------------------------------------- /proc


def _children() -> dict[int, list[int]]:
    out: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rpartition(")")[2].split()[1])
        out.setdefault(ppid, []).append(int(entry))
    return out


def process_tree(pid: int) -> list[int]:
    """`pid` and every process below it."""
    children = _children()
    tree, todo = [], [pid]
    while todo:
        p = todo.pop()
        tree.append(p)
        todo.extend(children.get(p, ()))
    return tree


def tree_rss(pid: int) -> int:
    """Resident bytes of the process tree of `pid` (VmRSS summed; 0 for a gone process)."""
    total = 0
    for p in process_tree(pid):
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1]) * 1024
        except OSError:
            pass
    return total


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def _parent(pid: int) -> int:
    return int(Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[1])


def server_root(url: str) -> int:
    """The top process of the server answering `url`: /healthz's pid, then its parents as
    long as they run the server (uvicorn's supervisor, `kg serve`)."""
    deadline = time.monotonic() + 60
    while True:  # the server may still be starting
        try:
            pid = int(httpx.get(f"{url}/healthz", timeout=10).json()["pid"])
            break
        except httpx.HTTPError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.5)
    while True:
        parent = _parent(pid)
        command = _cmdline(parent)
        if parent <= 1 or not ("kg.cli serve" in command or "kg serve" in command):
            return pid
        pid = parent


# ---------------------------------------------------------------------------- harness


@dataclass
class Probe:
    """Asks /healthz every `interval` seconds in a thread; keeps latencies and peak memory."""

    url: str
    pid: int
    interval: float = 0.1
    latencies: list[float] = field(default_factory=list)
    failures: int = 0
    peak_rss: int = 0
    _stop: threading.Event = field(default_factory=threading.Event)

    def __enter__(self) -> Probe:
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        with httpx.Client(timeout=30) as client:
            while not self._stop.is_set():
                start = time.perf_counter()
                try:
                    ok = client.get(f"{self.url}/healthz").status_code == 200
                except httpx.HTTPError:
                    ok = False
                self.latencies.append(time.perf_counter() - start)
                self.failures += not ok
                self.peak_rss = max(self.peak_rss, tree_rss(self.pid))
                self._stop.wait(self.interval)


@dataclass
class Run:
    """What a phase gets: the server, the limits, a pool of client threads, and a tally."""

    url: str
    limits: dict[str, int]
    clients: int
    statuses: Counter[str] = field(default_factory=Counter)

    def send(self, requests: Iterable[Callable[[httpx.Client], httpx.Response]]) -> None:
        """Send every request (a function of an httpx client) with `clients` threads."""
        local = threading.local()

        def one(request: Callable[[httpx.Client], httpx.Response]) -> None:
            if not hasattr(local, "client"):
                local.client = httpx.Client(base_url=self.url, timeout=120)
            try:
                self.statuses[str(request(local.client).status_code)] += 1
            except httpx.HTTPError as e:
                self.statuses[type(e).__name__] += 1

        with ThreadPoolExecutor(self.clients) as pool:
            for _ in pool.map(one, requests):
                pass


def words(n: int, rng: random.Random, length: int = 7, letters: str = LETTERS) -> str:
    """`n` made-up words: distinct words cost the most (each is matched to the vocabulary)."""
    return " ".join("".join(rng.choices(letters, k=length)) for _ in range(n))


_HUGE: list[str] = []


def huge_query(rng: random.Random) -> Callable[[httpx.Client], httpx.Response]:
    """A batch of one query of about 480,000 words, just under the 4 MiB body limit; each
    new (a different first word), the rest made once (making them costs the client more
    than refusing them costs the server)."""
    if not _HUGE:
        _HUGE.append(words(HUGE_WORDS, rng, letters=LATIN))
    first = words(1, rng, letters=LATIN)
    return form("queries", {"q0": {"query": first + _HUGE[0][len(first) :]}})


def search(text: str) -> Callable[[httpx.Client], httpx.Response]:
    return lambda c: c.get("/api/search", params={"q": text})


def form(name: str, value: Any) -> Callable[[httpx.Client], httpx.Response]:
    body = {name: value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)}
    return lambda c: c.post("/reconcile", data=body, headers=FORM)


def largest_text(limits: dict[str, int], rng: random.Random) -> str:
    """A query at both limits: as many distinct words, as many characters as accepted."""
    n = limits["max_query_words"]
    length = max(3, (limits["max_query_chars"] + 1) // n - 1)
    return words(n, rng, length)[: limits["max_query_chars"]]


# ---------------------------------------------------------------------------- phases


def largest_batch(limits: dict[str, int], rng: random.Random) -> dict[str, Any]:
    """The costliest batch the limits accept: new words only, as many as accepted."""
    n = min(limits["max_batch"], limits["max_batch_words"] // limits["max_query_words"])
    return {f"q{i}": {"query": largest_text(limits, rng)} for i in range(n)}


def phase_reconcile(run: Run) -> None:
    rng = random.Random(1)
    huge = [huge_query(rng) for _ in range(4)]
    run.send(huge + [form("queries", largest_batch(run.limits, rng)) for _ in range(8)])


def phase_extend(run: Run) -> None:
    rng = random.Random(2)
    duplicates = {"ids": ["position/C2.02"], "properties": [{"id": "tier"}] * 20_000}
    ids = [
        f"position/C{rng.randint(1, 3)}.{rng.randint(1, 30):02d}"
        for _ in range(run.limits["max_batch"])
    ]
    props = [{"id": p} for p in PROPERTIES][: run.limits["max_properties"]]
    run.send(
        [form("extend", duplicates)] * 4 + [form("extend", {"ids": ids, "properties": props})] * 8
    )


def phase_suggest(run: Run) -> None:
    rng = random.Random(3)

    def suggest(prefix: str) -> Callable[[httpx.Client], httpx.Response]:
        return lambda c: c.get("/reconcile/suggest/entity", params={"prefix": prefix})

    long = [suggest(words(8_000, rng, letters=LATIN)[:64_000]) for _ in range(8)]
    cap = run.limits["max_prefix_chars"]
    full = [suggest(words(cap // 8, rng)[:cap]) for _ in range(200)]
    run.send(long + full)


def phase_accept(run: Run) -> None:
    rng = random.Random(4)

    def accept(header: str) -> Callable[[httpx.Client], httpx.Response]:
        return lambda c: c.get("/position/C2.02", headers={"Accept": header})

    def header(size: int) -> str:
        tail = f"text/x-{rng.getrandbits(64):x};q=0.1, "
        return (tail * (size // len(tail) + 1))[: size - len(", text/turtle")] + ", text/turtle"

    run.send([accept(header(1024 * 1024)) for _ in range(300)])
    run.send([accept(header(run.limits["max_accept_bytes"])) for _ in range(3_000)])


def phase_distinct(run: Run) -> None:
    rng = random.Random(5)
    run.send(huge_query(rng) for _ in range(100))
    texts = [largest_text(run.limits, rng) for _ in range(500)]
    searches = [search(t) for t in texts]
    batches = [
        form("queries", {f"q{j}": {"query": t} for j, t in enumerate(texts[i : i + 100])})
        for i in range(0, len(texts), 100)
    ]
    run.send(searches + batches)


# ---------------------------------------------------------------------------- raw sockets


def _address(url: str) -> tuple[str, int]:
    parts = urlsplit(url)
    return parts.hostname or "127.0.0.1", parts.port or 80


def _raw(run: Run, head: bytes, body: Iterable[bytes] = (), wait: float = 15.0) -> None:
    """Send `head` (and `body` pieces) on a fresh socket; tally the status line, or how the
    connection ended (closed without an answer, or still open after `wait` seconds)."""
    host, port = _address(run.url)
    try:
        with socket.create_connection((host, port), timeout=wait) as sock:
            try:
                sock.sendall(head)
                for piece in body:
                    sock.sendall(piece)
            except OSError:
                pass  # the server may close while we still send: its answer is what counts
            answer = sock.recv(64)
    except TimeoutError:
        run.statuses["still open"] += 1
        return
    except OSError as e:
        run.statuses[type(e).__name__] += 1
        return
    status = answer.split(b" ", 2)[1].decode("ascii", "replace") if answer else "closed"
    run.statuses[status] += 1


def phase_body(run: Run) -> None:
    """Bodies over the limit: 20 POSTs to /reconcile declaring 400 MB (only the head is
    sent, so the answer must come before the body), and 10 chunked ones that keep going."""
    head = (
        b"POST /reconcile HTTP/1.1\r\nHost: x\r\n"
        b"Content-Type: application/x-www-form-urlencoded\r\n"
        b"Content-Length: 400000000\r\n\r\n"
    )
    chunked = (
        b"POST /reconcile HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
        b"Content-Type: application/x-www-form-urlencoded\r\n\r\n"
    )
    piece = b"100000\r\n" + b"q" * 0x100000 + b"\r\n"  # 1 MiB chunks, 64 of them at most
    with ThreadPoolExecutor(run.clients) as pool:
        jobs = [pool.submit(_raw, run, head) for _ in range(20)]
        jobs += [pool.submit(_raw, run, chunked, [piece] * 64) for _ in range(10)]
        for job in jobs:
            job.result()


def phase_headers(run: Run) -> None:
    """Heads over the limits: 8 MB in one header field, 100,000 short fields (both sent
    whole unless the server cuts in first), 10 of each."""
    big = b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 8_000_000 + b"\r\n\r\n"
    many = (
        b"GET /healthz HTTP/1.1\r\nHost: x\r\n"
        + b"".join(b"X-%d: 1\r\n" % i for i in range(100_000))
        + b"\r\n"
    )
    with ThreadPoolExecutor(run.clients) as pool:
        jobs = [pool.submit(_raw, run, head) for head in [big, many] * 10]
        for job in jobs:
            job.result()


def phase_slowloris(run: Run, sockets: int = 200, drip: float = 3.0, seconds: float = 30) -> None:
    """200 sockets that send a request head one byte every 3 s for 30 s (slowloris); tally
    how many the server closed (its header timeout) and how many were still open."""
    host, port = _address(run.url)
    head = b"GET / HTTP/1.1\r\nHost: x\r\nX-Slow: " + b"a" * 1000
    open_: list[socket.socket] = []
    for _ in range(sockets):
        try:
            open_.append(socket.create_connection((host, port), timeout=2))
        except OSError as e:
            run.statuses["connect " + type(e).__name__] += 1
    closed: set[int] = set()
    deadline = time.monotonic() + seconds
    offset = 0
    while time.monotonic() < deadline and len(closed) < len(open_):
        for i, sock in enumerate(open_):
            if i in closed:
                continue
            try:
                sock.sendall(head[offset : offset + 1])
            except OSError:
                closed.add(i)
        offset = min(offset + 1, len(head) - 1)
        time.sleep(drip)
    for sock in open_:
        sock.close()
    run.statuses["closed by server"] += len(closed)
    run.statuses["still open"] += len(open_) - len(closed)


PHASES: dict[str, Callable[[Run], None]] = {
    "reconcile": phase_reconcile,
    "extend": phase_extend,
    "suggest": phase_suggest,
    "accept": phase_accept,
    "distinct": phase_distinct,
    "body": phase_body,
    "headers": phase_headers,
    "slowloris": phase_slowloris,
}


# ---------------------------------------------------------------------------- main


def mb(n: float) -> str:
    return f"{n / 1024 / 1024:.0f} MB"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--url", default="http://127.0.0.1:8000")
    p.add_argument("--pid", type=int, help="the server's top process (default: found)")
    p.add_argument("--phases", default=",".join(PHASES), help="comma-separated, in order")
    p.add_argument("--clients", type=int, default=4, help="concurrent abusive clients")
    p.add_argument("--settle", type=float, default=3.0, help="seconds to wait after a phase")
    p.add_argument("--limits", type=json.loads, default={}, help="JSON: limits the server uses")
    a = p.parse_args(argv)
    url = a.url.rstrip("/")
    unknown = [name for name in a.phases.split(",") if name not in PHASES]
    if unknown:
        p.error(f"unknown phases {unknown}; known: {', '.join(PHASES)}")
    pid = a.pid or server_root(url)
    limits = {**DEFAULT_LIMITS, **a.limits}
    start_rss = tree_rss(pid)
    print(f"server {url}, process tree of pid {pid}: {len(process_tree(pid))} processes")
    print(f"start: {mb(start_rss)}")
    print(
        f"{'phase':<10} {'seconds':>7} {'healthz p50':>11} {'max':>7} {'fail':>4} "
        f"{'before':>8} {'peak':>8} {'after':>8}  statuses"
    )
    worst_latency, worst_failures = 0.0, 0
    for name in a.phases.split(","):
        run = Run(url, limits, a.clients)
        before = tree_rss(pid)
        started = time.perf_counter()
        with Probe(url, pid) as probe:
            PHASES[name](run)
            seconds = time.perf_counter() - started
            time.sleep(a.settle)
        after = tree_rss(pid)
        lat = probe.latencies or [0.0]
        worst_latency = max(worst_latency, max(lat))
        worst_failures += probe.failures
        statuses = ", ".join(f"{k}: {v}" for k, v in sorted(run.statuses.items()))
        print(
            f"{name:<10} {seconds:7.1f} {statistics.median(lat) * 1000:9.0f}ms "
            f"{max(lat) * 1000:5.0f}ms {probe.failures:4d} {mb(before):>8} "
            f"{mb(probe.peak_rss):>8} {mb(after):>8}  {statuses}",
            flush=True,
        )
    end_rss = tree_rss(pid)
    grew = end_rss - start_rss
    print(f"end: {mb(end_rss)} ({'+' if grew >= 0 else ''}{mb(grew)} since the start)")
    healthz_ok = worst_latency < HEALTHZ_TARGET and worst_failures == 0
    memory_ok = grew <= MEMORY_TARGET
    print(
        f"target /healthz < {HEALTHZ_TARGET:.0f} s throughout: "
        f"{'met' if healthz_ok else 'MISSED'} (worst {worst_latency * 1000:.0f} ms, "
        f"{worst_failures} failed)"
    )
    print(
        f"target memory back within {mb(MEMORY_TARGET)} of the start: "
        f"{'met' if memory_ok else 'MISSED'}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
