"""The SPARQL query service over one immutable release.

Why worker processes: pyoxigraph evaluates a query in Rust with no way to interrupt it, so the
only sure way to stop a runaway query is to kill the process running it. One lean process
(the zygote, kg.query.worker) loads the release (`<release>/register.nt`, plus optional named
graphs) once and forks the workers, which share its pages copy-on-write; each answers one
query at a time; the caller waits at most the time limit, then the worker is killed and
replaced by a new fork while the other workers keep answering.

Why results become bytes in the worker: pyoxigraph's result iterators belong to the thread
that made them, and bytes are what the HTTP layer and the cache want anyway.

What is refused before evaluation:
- queries larger than the size cap (413);
- SPARQL Update in any form: the workers only ever call ``Store.query``, whose grammar has no
  update operations, and a text that opens like an update gets a clear 403;
- SERVICE (federated query, 403): pyoxigraph would send an HTTP request to the named host.
  The engine's own parser decides (see `refuse_federated`), so the check cannot read a text
  differently from the engine that runs it. A SERVICE call that still happened would fail
  with a 403, never a 500. Behind the check, once its data is loaded, a worker installs a
  seccomp filter (no socket but AF_UNIX, no connect; needs no privilege) and, where Linux
  allows it, enters an empty network namespace, so even a check that missed could not reach
  a network (`Settings.sandbox_network`; `--no-network-sandbox` tests the check alone).

Result size: more than `row_cap` rows (SELECT) or triples (CONSTRUCT/DESCRIBE) is an explicit
422 error, never a silently truncated answer; a client pages with LIMIT/OFFSET.

Caching: the release never changes while served, so identical requests get identical bytes.
Serialised responses are kept in an LRU keyed on (query text without surrounding whitespace,
protocol dataset, bindings, media type). Queries that call RAND, NOW, UUID, STRUUID or BNODE
are not cached, since their answer may differ between evaluations.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import os
import pickle
import signal
import socket
import struct
import subprocess
import sys
import threading
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import pyoxigraph as ox

from kg.cache import ByteCache
from kg.query.bounded import is_bounded
from kg.query.engine import (
    CSV,
    DEFAULT_FORMATS,
    FRAME_HEADER,
    JSON_LD,
    N_TRIPLES,
    NONDETERMINISTIC,
    NONDETERMINISTIC_HINTS,
    RDF_FORMAT,
    RDF_XML,
    RESULT_FORMATS,
    RESULTS_FORMAT,
    SERVICE_LETTERS,
    SPARQL_JSON,
    SPARQL_XML,
    STANDARD_PREFIXES,
    TSV,
    TURTLE,
    Dataset,
    Evaluator,
    Formats,
    Job,
    QueryError,
    QueryForm,
    QueryResult,
    StoreSpec,
    Term,
    check_query_size,
    checked_formats,
    explain_syntax_error,
    load_store,
    not_acceptable_message,
    refuse_federated,
    row_cap_message,
    send_frame,
    unescape_codepoints,
)
from kg.rdf.terms import Value, plain

if TYPE_CHECKING:
    from kg.settings import Settings

#: With the names of kg.query.engine it re-exports: callers import from here.
__all__ = [
    "CSV",
    "DEFAULT_FORMATS",
    "Dataset",
    "Formats",
    "JSON_LD",
    "N_TRIPLES",
    "QueryError",
    "QueryForm",
    "QueryResult",
    "QueryService",
    "RDF_FORMAT",
    "RDF_XML",
    "RESULTS_FORMAT",
    "RESULT_FORMATS",
    "Repository",
    "SERVICE_LETTERS",
    "SPARQL_JSON",
    "SPARQL_XML",
    "STANDARD_PREFIXES",
    "ServiceStats",
    "StoreSpec",
    "TSV",
    "TURTLE",
    "Term",
    "check_query_size",
    "checked_formats",
    "explain_syntax_error",
    "is_deterministic",
    "not_acceptable_message",
    "refuse_federated",
    "row_cap_message",
    "unescape_codepoints",
]

log = logging.getLogger(__name__)


# ---------------------------------------------------------------------------- parent side

#: The checkout this package is imported from, so the zygote imports the same code.
_PACKAGE_ROOT = str(Path(__file__).resolve().parents[2])
_ZYGOTE_MAIN = "import sys; from kg.query.worker import main; main(int(sys.argv[1]))"


def _recv_exact(sock: socket.socket, size: int) -> bytes:
    data = b""
    while len(data) < size:
        chunk = sock.recv(size - len(data))
        if not chunk:
            raise ConnectionError("the query worker zygote closed its socket")
        data += chunk
    return data


class _Zygote:
    """The parent's handle on the process that loads the store once and forks the workers.

    Blocking calls (start, fork) run off the event loop; `kill` is one short write. Every
    write and each fork's request/reply pair hold one lock, so frames never interleave.
    """

    def __init__(self, spec: StoreSpec, start_timeout: float) -> None:
        self.spec = spec
        self.start_timeout = start_timeout
        self._lock = threading.Lock()
        self._ctrl, theirs = socket.socketpair()
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(p for p in (_PACKAGE_ROOT, env.get("PYTHONPATH")) if p)
        try:
            self.process = subprocess.Popen(
                [sys.executable, "-c", _ZYGOTE_MAIN, str(theirs.fileno())],
                pass_fds=[theirs.fileno()],
                env=env,
                stdin=subprocess.DEVNULL,
            )
        finally:
            theirs.close()
        self.hello: tuple[Any, ...] | None = None
        self._closed = False

    @property
    def alive(self) -> bool:
        return not self._closed and self.process.poll() is None

    def _read(self) -> Any:
        size = FRAME_HEADER.unpack(_recv_exact(self._ctrl, FRAME_HEADER.size))[0]
        return pickle.loads(_recv_exact(self._ctrl, size))

    def start(self) -> tuple[Any, ...]:
        """Send the spec and wait until the store is loaded: ("ready", counts, sandboxed)."""
        with self._lock:
            self._ctrl.settimeout(self.start_timeout)
            try:
                send_frame(self._ctrl, self.spec)
                hello = self._read()
            except (TimeoutError, OSError) as e:
                raise RuntimeError(f"query worker zygote did not start: {type(e).__name__}") from e
            finally:
                self._ctrl.settimeout(30.0)
        if hello[0] != "ready":
            raise RuntimeError(f"query worker could not load the release: {hello[1]}")
        self.hello = hello
        return hello

    def fork(self) -> tuple[int, socket.socket]:
        """A new worker: its pid and the parent's end of its socket."""
        ours, theirs = socket.socketpair()
        try:
            with self._lock:
                data = pickle.dumps(("fork",), protocol=pickle.HIGHEST_PROTOCOL)
                fds = [(socket.SOL_SOCKET, socket.SCM_RIGHTS, struct.pack("i", theirs.fileno()))]
                self._ctrl.sendmsg([FRAME_HEADER.pack(len(data)) + data], fds)
                reply = self._read()
        except BaseException:
            ours.close()
            raise
        finally:
            theirs.close()
        return reply[1], ours

    def kill(self, pid: int) -> None:
        """SIGKILL a worker; the zygote does it, as the one process that knows the pid is
        still its child (never reaped), so a reused pid is never hit."""
        data = pickle.dumps(("kill", pid), protocol=pickle.HIGHEST_PROTOCOL)
        if not self._lock.acquire(timeout=1.0):  # a fork hangs on a stuck zygote: kill directly
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)
            return
        try:
            with contextlib.suppress(OSError):
                self._ctrl.sendall(FRAME_HEADER.pack(len(data)) + data)
        finally:
            self._lock.release()

    def close(self) -> None:
        """End of stream: the zygote kills its workers and exits."""
        self._closed = True
        with contextlib.suppress(OSError):
            self._ctrl.shutdown(socket.SHUT_RDWR)
        self._ctrl.close()

    def join(self, timeout: float) -> None:
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


class _Channel(asyncio.Protocol):
    """The parent's end of a worker's socket: length-prefixed frames in, futures out.

    A bare Protocol rather than asyncio streams: one callback per chunk and one future per
    reply keeps the per-query cost of the process hop small.
    """

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self._buffer = bytearray()
        self._frames: deque[bytes] = deque()
        self._waiter: asyncio.Future[bytes] | None = None
        self._lost = False
        #: Called when the worker's end closes (the pool replaces a worker that died idle).
        self.on_lost: Callable[[], None] | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def data_received(self, data: bytes) -> None:
        buf = self._buffer
        buf += data
        while len(buf) >= FRAME_HEADER.size:
            size = FRAME_HEADER.unpack_from(buf)[0]
            end = FRAME_HEADER.size + size
            if len(buf) < end:
                return
            frame = bytes(buf[FRAME_HEADER.size : end])
            del buf[:end]
            waiter = self._waiter
            if waiter is not None and not waiter.done():
                waiter.set_result(frame)
            else:
                self._frames.append(frame)

    def connection_lost(self, exc: Exception | None) -> None:
        self._lost = True
        if self.on_lost is not None:
            self.on_lost()
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_exception(ConnectionError("query worker connection lost"))

    async def read(self) -> Any:
        if self._frames:
            return pickle.loads(self._frames.popleft())
        if self._lost:
            raise ConnectionError("query worker connection lost")
        self._waiter = asyncio.get_running_loop().create_future()
        try:
            return pickle.loads(await self._waiter)
        finally:
            self._waiter = None

    def write(self, payload: bytes) -> None:
        assert self.transport is not None
        self.transport.write(FRAME_HEADER.pack(len(payload)) + payload)


class _Worker:
    """The parent's handle on one query worker process (a child of the zygote)."""

    def __init__(self, pid: int, zygote: _Zygote, channel: _Channel) -> None:
        self.pid = pid
        self.zygote = zygote
        self.channel = channel

    async def call(self, payload: bytes) -> Any:
        self.channel.write(payload)
        return await self.channel.read()

    def kill(self) -> None:
        self.zygote.kill(self.pid)
        if self.channel.transport is not None:
            self.channel.transport.close()


class _Pool:
    """N workers; a job waits for an idle one, runs under the time limit, or kills it.

    Why two kinds of jobs: pages must not wait behind /sparql. A priority job (a page's
    query) is handed the next free worker before any other job, and other jobs hold at most
    `shared` workers at once, so `size - shared` workers are always there for pages.
    """

    def __init__(
        self,
        spec: StoreSpec,
        size: int,
        time_limit: float,
        shared: int | None = None,
    ) -> None:
        self.spec = spec
        self.size = size
        self.shared = min(size, shared or size)
        self._busy_shared = 0
        self.time_limit = time_limit
        self.start_timeout = 300.0
        self._zygote: _Zygote | None = None
        self._zygote_lock = asyncio.Lock()
        self._idle: list[_Worker] = []
        self._waiters: deque[asyncio.Future[_Worker]] = deque()  # priority jobs
        self._shared_waiters: deque[asyncio.Future[_Worker]] = deque()
        self._all: set[_Worker] = set()
        self._tasks: set[asyncio.Task[None]] = set()
        self._closed = False
        self.ready_info: tuple[dict[str | None, int], bool] | None = None
        self.restarts = 0

    @property
    def idle(self) -> int:
        return len(self._idle)

    @property
    def idle_shared(self) -> int:
        """Workers a job without priority could have now."""
        return min(len(self._idle), self.shared - self._busy_shared)

    async def start(self) -> None:
        await self._ready_zygote()
        workers = await asyncio.gather(*(self._spawn() for _ in range(self.size)))
        for w in workers:
            self._release(w)

    async def _ready_zygote(self) -> _Zygote:
        """The running zygote, or a new one (the old one died: its workers died with it)."""
        async with self._zygote_lock:
            if self._zygote is not None and self._zygote.alive:
                return self._zygote
            loop = asyncio.get_running_loop()
            if self._zygote is not None:
                old, self._zygote = self._zygote, None
                old.close()
                await loop.run_in_executor(None, old.join, 5.0)
            zygote = _Zygote(self.spec, self.start_timeout)
            try:
                hello = await loop.run_in_executor(None, zygote.start)
            except BaseException:
                zygote.close()
                await loop.run_in_executor(None, zygote.join, 5.0)
                raise
            self.ready_info = (hello[1], hello[2])
            if self.spec.sandbox_network and not hello[2]:
                log.warning("query workers could not fence themselves off the network")
            self._zygote = zygote
            return zygote

    async def _spawn(self) -> _Worker:
        loop = asyncio.get_running_loop()
        zygote = await self._ready_zygote()
        try:
            pid, parent_sock = await loop.run_in_executor(None, zygote.fork)
        except (OSError, EOFError, pickle.UnpicklingError) as e:
            zygote.close()  # dead or out of step: the next spawn starts a new one
            raise RuntimeError(f"query worker zygote failed: {type(e).__name__}: {e}") from None
        _, channel = await loop.create_unix_connection(_Channel, sock=parent_sock)
        worker = _Worker(pid, zygote, channel)
        self._all.add(worker)
        channel.on_lost = functools.partial(self._lost, worker)
        try:
            async with asyncio.timeout(self.start_timeout):
                hello = await channel.read()
        except (TimeoutError, ConnectionError) as e:
            self._discard(worker)
            raise RuntimeError(f"query worker did not start: {type(e).__name__}") from None
        if hello[0] != "ready":
            self._discard(worker)
            raise RuntimeError(f"query worker could not load the release: {hello[1]}")
        return worker

    def _discard(self, worker: _Worker) -> None:
        worker.kill()  # the zygote reaps it
        self._all.discard(worker)

    def _lost(self, worker: _Worker) -> None:
        """A worker died while idle (killed from outside, out of memory): replace it now,
        rather than fail the next query sent to it."""
        if worker in self._idle and not self._closed:
            self._idle.remove(worker)
            self._replace(worker)

    def _release(self, worker: _Worker) -> None:
        self._idle.append(worker)
        self._dispatch()

    def _dispatch(self) -> None:
        """Hand idle workers to waiting jobs: priority jobs first, others within `shared`."""
        while self._idle:
            fut = self._next_waiter()
            if fut is None:
                return
            fut.set_result(self._idle.pop())

    def _next_waiter(self) -> asyncio.Future[_Worker] | None:
        while self._waiters:
            fut = self._waiters.popleft()
            if not fut.done():
                return fut
        while self._shared_waiters and self._busy_shared < self.shared:
            fut = self._shared_waiters.popleft()
            if not fut.done():
                self._busy_shared += 1
                return fut
        return None

    async def _acquire(self, priority: bool) -> _Worker:
        if priority and self._idle:
            return self._idle.pop()
        if not priority and self._idle and self._busy_shared < self.shared:
            self._busy_shared += 1
            return self._idle.pop()
        fut: asyncio.Future[_Worker] = asyncio.get_running_loop().create_future()
        queue = self._waiters if priority else self._shared_waiters
        queue.append(fut)
        try:
            async with asyncio.timeout(self.time_limit):
                return await fut
        except TimeoutError:
            if fut.done() and not fut.cancelled():
                return fut.result()  # handed over just as time ran out: use it
            held = self.size if priority else self.shared
            raise QueryError(503, f"all {held} query workers are busy; try again shortly") from None
        except asyncio.CancelledError:
            if fut.done() and not fut.cancelled():
                self._finished(priority)
                self._release(fut.result())
            raise
        finally:
            with contextlib.suppress(ValueError):
                queue.remove(fut)

    def _finished(self, priority: bool) -> None:
        if not priority:
            self._busy_shared -= 1

    def _replace(self, worker: _Worker) -> None:
        self._discard(worker)
        self.restarts += 1
        if self._closed:
            return
        task = asyncio.get_running_loop().create_task(self._respawn())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _respawn(self) -> None:
        delay = 0.2
        while not self._closed:
            try:
                worker = await self._spawn()
            except Exception:
                log.exception("could not start a replacement query worker")
                await asyncio.sleep(delay)
                delay = min(delay * 2, 10.0)
                continue
            if self._closed:
                self._discard(worker)
            else:
                self._release(worker)
            return

    async def run(self, payload: bytes, priority: bool = False) -> Any:
        if self._closed:
            raise QueryError(503, "the query service is shutting down")
        worker = await self._acquire(priority)
        healthy = False
        try:
            async with asyncio.timeout(self.time_limit):
                reply = await worker.call(payload)
            healthy = True
        except TimeoutError:
            raise QueryError(
                503,
                f"the query ran longer than the time limit of {self.time_limit:g} s and was "
                "stopped",
            ) from None
        except ConnectionError:
            raise QueryError(
                503,
                "the query worker died while evaluating this query (most likely it needed more "
                "memory than allowed)",
            ) from None
        finally:
            self._finished(priority)
            if healthy:
                self._release(worker)
            else:  # timed out, died, or cancelled mid-query: its state is unknown, never reuse
                self._replace(worker)
                self._dispatch()  # a shared slot is free again for an idle worker
        return reply

    async def close(self) -> None:
        self._closed = True
        for fut in (*self._waiters, *self._shared_waiters):
            fut.cancel()
        for task in list(self._tasks):
            task.cancel()
        workers = list(self._all)
        self._all.clear()
        self._idle.clear()
        zygote, self._zygote = self._zygote, None
        if zygote is not None:
            zygote.close()  # it kills every worker it forked, then exits
        for w in workers:
            if w.channel.transport is not None:
                w.channel.transport.close()
        if zygote is not None:
            await asyncio.get_running_loop().run_in_executor(None, zygote.join, 5.0)


def is_deterministic(text: str) -> bool:
    """False when the query may call RAND, NOW, UUID, STRUUID or BNODE (conservatively)."""
    lowered = text.lower()
    if not any(hint in lowered for hint in NONDETERMINISTIC_HINTS):
        return True  # the common case, decided by C-speed substring tests
    return NONDETERMINISTIC.search(text) is None


#: Text of the queries whose result form is remembered (which makes them cacheable).
_KNOWN_QUERY_BYTES = 16 * 1024 * 1024


@dataclass(slots=True)
class ServiceStats:
    """Counters for /healthz and the benchmark."""

    evaluations: int = 0
    #: of which evaluated in this process, not by a worker (kg.query.bounded)
    local_evaluations: int = 0
    cache_hits: int = 0
    coalesced: int = 0
    errors: dict[int, int] = field(default_factory=dict)


class QueryService:
    """The one way into the store: size check, cache, and a pool of killable workers.

    Use ``async with QueryService(...)`` or call ``start()`` / ``close()`` on the event loop
    that will run the queries. `start_method` is accepted and ignored: workers are always
    forks of the zygote (kg.query.worker).
    """

    def __init__(
        self,
        spec: StoreSpec,
        *,
        workers: int | None = None,
        time_limit: float = 5.0,
        query_size_cap: int = 64 * 1024,
        cache_bytes: int = 64 * 1024 * 1024,
        start_method: str | None = None,
        page_workers: int = 0,
    ) -> None:
        self.spec = spec
        self.time_limit = time_limit
        self.row_cap = spec.row_cap
        self.query_size_cap = query_size_cap
        shared = workers or os.cpu_count() or 1
        self._pool = _Pool(spec, shared + page_workers, time_limit, shared)
        self._cache: ByteCache[tuple[Any, ...], QueryResult] | None = (
            ByteCache(cache_bytes) if cache_bytes > 0 else None
        )
        # per (query, dataset, bindings): [form once known, cacheable]
        self._known: ByteCache[tuple[Any, ...], list[Any]] = ByteCache(_KNOWN_QUERY_BYTES)
        self._inflight: dict[tuple[Any, ...], asyncio.Future[QueryResult]] = {}
        self.stats = ServiceStats()
        # the release in this process too, for queries whose work the data bounds
        self._local: Evaluator | None = None

    @classmethod
    def from_release(cls, release_dir: Path, settings: Settings) -> QueryService:
        """A service over `<release_dir>/register.nt` (+ settings.named_graphs)."""
        return cls(
            StoreSpec.from_release(release_dir, settings),
            workers=settings.workers,
            time_limit=settings.time_limit,
            query_size_cap=settings.query_size_cap,
            cache_bytes=settings.cache_bytes,
            page_workers=settings.page_workers,
        )

    @property
    def workers(self) -> int:
        """Workers any query may use (the pool also keeps `page_workers` for pages)."""
        return self._pool.shared

    @property
    def triple_counts(self) -> Mapping[str | None, int]:
        """Triples per graph (None: the default graph), as the workers loaded them."""
        return self._pool.ready_info[0] if self._pool.ready_info else {}

    @property
    def network_sandboxed(self) -> bool:
        return bool(self._pool.ready_info and self._pool.ready_info[1])

    def health(self) -> dict[str, Any]:
        return {
            "workers": self._pool.shared,
            "idle_workers": self._pool.idle_shared,
            "page_workers": self._pool.size - self._pool.shared,
            "worker_restarts": self._pool.restarts,
            "evaluations": self.stats.evaluations,
            "local_evaluations": self.stats.local_evaluations,
            "cache_hits": self.stats.cache_hits,
            "cached_responses": len(self._cache) if self._cache else 0,
            "network_sandboxed": self.network_sandboxed,
        }

    async def start(self) -> None:
        await self._pool.start()
        store, _ = await asyncio.to_thread(load_store, self.spec)
        self._local = Evaluator(store, self.spec)

    async def close(self) -> None:
        await self._pool.close()

    async def __aenter__(self) -> QueryService:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def execute(
        self,
        query: str,
        *,
        dataset: Dataset | None = None,
        formats: Formats = DEFAULT_FORMATS,
        bindings: Mapping[str, Term] | None = None,
        priority: bool = False,
    ) -> QueryResult:
        """Evaluate `query` and serialise its result in the format `formats` gives its form.

        `priority` (pages) goes before other queries and may use the workers kept for pages.
        Raises QueryError for every expected problem (see the module docstring).
        """
        text = query.strip()
        check_query_size(text, self.query_size_cap)
        if not text:
            raise QueryError(400, "the query is empty")
        if dataset is not None and dataset.given:
            dataset.check()
        else:
            dataset = None
        formats = checked_formats(formats)
        bound = tuple(sorted(bindings.items())) if bindings else ()
        base = (text, dataset, tuple((n, str(t)) for n, t in bound)) if bound else (text, dataset)
        known = self._known.get(base)
        if known is None:
            known = [None, self._cache is not None and is_deterministic(text)]
        form, cacheable = known
        if form is not None:
            media = formats.for_form(form)
            if media is None:
                raise QueryError(406, not_acceptable_message(form))
            if cacheable and self._cache is not None:  # cacheable only with a cache
                hit = self._cache.get((*base, media))
                if hit is not None:
                    self.stats.cache_hits += 1
                    return hit
        flight = (*base, formats)
        pending = self._inflight.get(flight)
        if pending is not None:  # the same request is being evaluated: share its answer
            self.stats.coalesced += 1
            return await asyncio.shield(pending)
        pending = asyncio.get_running_loop().create_future()
        self._inflight[flight] = pending
        try:
            job = Job(text, dataset, formats, bound)
            result = await self._evaluate(job, base, known, priority)
        except BaseException as e:
            self._settle(flight, pending, e)
            raise
        self._settle(flight, pending, result)
        return result

    def _settle(
        self, flight: tuple[Any, ...], pending: asyncio.Future[QueryResult], outcome: Any
    ) -> None:
        del self._inflight[flight]
        if isinstance(outcome, QueryResult):
            pending.set_result(outcome)
            return
        if isinstance(outcome, QueryError):
            self.stats.errors[outcome.status] = self.stats.errors.get(outcome.status, 0) + 1
        if not isinstance(outcome, Exception):  # the evaluating request was cancelled
            outcome = QueryError(503, "the evaluation of this query was interrupted; try again")
        pending.set_exception(outcome)
        pending.exception()  # mark it retrieved: nobody else may be waiting

    def answer_bounded(self, query: str, formats: Formats) -> QueryResult | None:
        """A bounded query (kg.query.bounded) answered at once in this process, or None when
        it is not one, or is too long, or fails (the caller then asks execute(), which says
        why). For kg.web.protocol's shortest path; counted like any evaluation."""
        text = query.strip()
        if self._local is None:
            return None
        try:
            check_query_size(text, self.query_size_cap)
            if not is_bounded(text):
                return None
            reply = self._local.run(Job(text, None, checked_formats(formats)))
        except QueryError:
            return None
        self.stats.evaluations += 1
        self.stats.local_evaluations += 1
        return _result(reply)

    async def _evaluate(
        self, job: Job, base: tuple[Any, ...], known: list[Any], priority: bool = False
    ) -> QueryResult:
        self.stats.evaluations += 1
        if self._local is not None and job.dataset is None and is_bounded(job.query):
            # No runaway possible (kg.query.bounded): the hop to a worker would cost several
            # times the evaluation. Same evaluator and serialisation as a worker's.
            self.stats.local_evaluations += 1
            reply = self._local.run(job)
        else:
            payload = pickle.dumps(job, protocol=pickle.HIGHEST_PROTOCOL)
            reply = await self._pool.run(payload, priority)
        result = _result(reply)
        if known[0] is None:
            known[0] = result.form
            self._known.put(base, known)
        if known[1] and self._cache is not None:
            self._cache.put((*base, result.media_type), result)
        return result


def _result(reply: tuple[Any, ...]) -> QueryResult:
    """An evaluator's reply, ('ok', form, media, rows, body) or ('error', status, message),
    as a QueryResult or the QueryError it reports."""
    if reply[0] == "error":
        raise QueryError(reply[1], reply[2])
    _, form_value, media, rows, body = reply
    return QueryResult(QueryForm(form_value), media, body, rows)


# ---------------------------------------------------------------------------- repository

_REPOSITORY_FORMATS = Formats(solutions=TSV, boolean=SPARQL_JSON, graph=N_TRIPLES)


class QueryExecutor(Protocol):
    """What a Repository asks its queries of: QueryService, or kg.query.remote's service."""

    async def execute(
        self,
        query: str,
        *,
        dataset: Dataset | None = None,
        formats: Formats = DEFAULT_FORMATS,
        bindings: Mapping[str, Term] | None = None,
        priority: bool = False,
    ) -> QueryResult: ...


class Repository:
    """What HTML pages and search need from the store, as terms rather than bytes.

    Every call goes through the same QueryService as the public endpoint (same limits, same
    cache), so a page can never run a query the endpoint would refuse. Terms are pyoxigraph
    terms (NamedNode, Literal, BlankNode). `bindings` pre-bind variables by name (SEP-0007
    substitution, as pyoxigraph does it): a bound variable must be in the SELECT projection,
    so write ``SELECT * WHERE``, or list it.
    """

    def __init__(self, service: QueryExecutor) -> None:
        self._service = service

    async def select(
        self, query: str, bindings: Mapping[str, Term] | None = None
    ) -> list[dict[str, Value]]:
        """Rows of a SELECT query, each a {variable name: term} dict without unbound ones."""
        result = await self._run(query, bindings, QueryForm.SOLUTIONS)
        solutions = ox.parse_query_results(result.body, ox.QueryResultsFormat.TSV)
        assert isinstance(solutions, ox.QuerySolutions)  # the TSV of a SELECT query
        names = [v.value for v in solutions.variables]
        return [
            {name: plain(term) for name, term in zip(names, row, strict=True) if term is not None}
            for row in solutions
        ]

    async def ask(self, query: str, bindings: Mapping[str, Term] | None = None) -> bool:
        """The answer of an ASK query."""
        result = await self._run(query, bindings, QueryForm.BOOLEAN)
        return bool(ox.parse_query_results(result.body, ox.QueryResultsFormat.JSON))

    async def construct(
        self, query: str, bindings: Mapping[str, Term] | None = None
    ) -> list[ox.Triple]:
        """The triples of a CONSTRUCT (or DESCRIBE) query."""
        result = await self._run(query, bindings, QueryForm.GRAPH)
        return [q.triple for q in ox.parse(result.body, ox.RdfFormat.N_TRIPLES)]

    async def describe(self, iri: str) -> list[ox.Triple]:
        """The store's description of one resource (pyoxigraph's DESCRIBE)."""
        try:
            node = ox.NamedNode(iri)
        except ValueError as e:
            raise QueryError(400, f"{iri!r} is not an IRI: {e}") from None
        return await self.construct(f"DESCRIBE <{node.value}>")

    async def _run(
        self, query: str, bindings: Mapping[str, Term] | None, form: QueryForm
    ) -> QueryResult:
        result = await self._service.execute(
            query, formats=_REPOSITORY_FORMATS, bindings=bindings, priority=True
        )
        if result.form is not form:
            raise QueryError(400, f"expected a query with a {form.value} result")
        return result
