"""The SERVICE check against the engine it guards, and a server with only that check.

Why both: the check must read every text as pyoxigraph does, so each lexical edge case is
given to the check and, when the check lets it through, to pyoxigraph itself with a loopback
listener that records connections. Then the same cases go to a real server started with
--no-network-sandbox, so no network namespace hides a miss of the check.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Callable, Iterator

import httpx
import pyoxigraph as ox
import pytest
from conftest import FIXTURE_RELEASE, ROOT, RunningServer
from lexical_cases import HARMLESS, LEXICAL_CASES, Listener

from kg.query.store import QueryError, refuse_federated

BASE = "https://reg1042.example.org/"


@pytest.fixture(scope="module")
def listener() -> Iterator[Listener]:
    watch = Listener()
    yield watch
    watch.close()


def _run_in_engine(query: str) -> None:
    """Evaluate `query` fully over a store with one triple (so joins do reach SERVICE)."""
    store = ox.Store()
    store.add(ox.Quad(ox.NamedNode("urn:a"), ox.NamedNode("urn:b"), ox.Literal("c")))
    try:
        result = store.query(query, base_iri=BASE)
        if not isinstance(result, ox.QueryBoolean):
            list(result)
    except (SyntaxError, OSError, RuntimeError, ValueError):
        pass  # an error is fine; a connection is not


def test_the_engine_would_federate(listener: Listener) -> None:
    """The listener and the engine check can fail: a plain SERVICE does connect."""
    before = listener.connections
    _run_in_engine(f"SELECT * WHERE {{ SERVICE <{listener.url}> {{ ?s ?p ?o }} }}")
    assert listener.seen_after(before)


@pytest.mark.parametrize(("name", "template"), LEXICAL_CASES, ids=[n for n, _ in LEXICAL_CASES])
def test_check_reads_as_the_engine_does(name: str, template: str, listener: Listener) -> None:
    query = template.format(url=listener.url)
    try:
        refuse_federated(query, BASE)
    except QueryError as e:
        assert 400 <= e.status < 500
        return
    before = listener.connections
    _run_in_engine(query)
    assert not listener.seen_after(before), f"{name}: the check let a SERVICE through"


def test_the_reported_bypass_is_refused(listener: Listener) -> None:
    query = f"SELECT * WHERE {{ ?a ?b ?c #x\rSERVICE <{listener.url}> {{ ?leak ?p ?o }}\n }}"
    with pytest.raises(QueryError) as e:
        refuse_federated(query, BASE)
    assert e.value.status == 403 and "SERVICE" in e.value.message


@pytest.mark.parametrize("query", HARMLESS)
def test_valid_queries_that_mention_the_word_pass(query: str) -> None:
    refuse_federated(query, BASE)
    ox.Store().query(query, base_iri=BASE)  # and the engine does parse them


def test_a_malformed_query_is_a_400_not_a_403() -> None:
    with pytest.raises(QueryError) as e:
        refuse_federated("SELECT * WHERE { ?s ?p ?o FILTER( } # service", BASE)
    assert e.value.status == 400 and "malformed" in e.value.message


# ---------------------------------------------------------------------------- a real server


@pytest.fixture(scope="module")
def unsandboxed(launch: Callable[..., RunningServer]) -> RunningServer:
    args = ["--workers", "1", "--http-workers", "1", "--time-limit", "3", "--no-network-sandbox"]
    return launch(FIXTURE_RELEASE, args)


def test_server_without_sandbox_refuses_every_case(
    unsandboxed: RunningServer, listener: Listener
) -> None:
    health = httpx.get(f"{unsandboxed.base_url}/healthz", timeout=10).json()
    assert health["network_sandboxed"] is False  # only the check stands between
    before = listener.connections
    statuses = {}
    with httpx.Client(timeout=30) as client:
        for name, template in LEXICAL_CASES:
            query = template.format(url=listener.url)
            r = client.post(unsandboxed.endpoint, data={"query": query})
            statuses[name] = r.status_code
            assert r.status_code < 500, (name, r.status_code, r.text[:300])
            assert "Traceback" not in r.text
        for query in HARMLESS:
            r = client.post(unsandboxed.endpoint, data={"query": query})
            assert r.status_code == 200, (query[:80], r.text[:300])
    assert not listener.seen_after(before, wait=0.5), statuses
    assert statuses["bare CR"] == 403
    assert "Traceback" not in unsandboxed.log()


FENCED = """
import sys, pyoxigraph as ox
from kg.query.engine import _no_sockets_filter
store = ox.Store()
store.add(ox.Quad(ox.NamedNode("urn:a"), ox.NamedNode("urn:b"), ox.Literal("c")))
assert _no_sockets_filter(), "the filter could not be installed"
try:
    list(store.query(sys.argv[1]))
except OSError as e:
    print("refused:", e)
"""


@pytest.mark.skipif(
    sys.platform != "linux" or os.uname().machine not in ("x86_64", "aarch64"),
    reason="the seccomp filter is written for Linux on x86-64 and ARM64",
)
def test_the_socket_filter_alone_stops_a_service_call(listener: Listener) -> None:
    """Past the check (the engine is called directly), a worker's filter still keeps it off
    the network, without privilege: the process may make no socket but AF_UNIX."""
    query = f"SELECT * WHERE {{ SERVICE <{listener.url}> {{ ?s ?p ?o }} }}"
    before = listener.connections
    run = subprocess.run(
        [sys.executable, "-c", FENCED, query],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert run.returncode == 0, run.stderr
    assert "refused: Permission denied" in run.stdout
    assert not listener.seen_after(before)


@pytest.mark.skipif(
    sys.platform != "linux" or os.uname().machine not in ("x86_64", "aarch64"),
    reason="the seccomp filter is written for Linux on x86-64 and ARM64",
)
def test_query_workers_are_fenced_by_default(server: RunningServer) -> None:
    """With or without privilege, a default server's workers are off the network."""
    health = httpx.get(f"{server.base_url}/healthz", timeout=10).json()
    assert health["network_sandboxed"] is True


def test_a_federation_attempt_past_the_check_is_a_403(monkeypatch: pytest.MonkeyPatch) -> None:
    """Should the check ever miss, the engine's failed call (a closed port here, the fences in
    a server) is answered 403 with the SERVICE message, never a 500."""
    import kg.query.engine

    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    monkeypatch.setattr(kg.query.engine, "refuse_federated", lambda query, base_iri=None: None)
    store = ox.Store()
    store.add(ox.Quad(ox.NamedNode("urn:a"), ox.NamedNode("urn:b"), ox.Literal("c")))
    evaluator = kg.query.engine.Evaluator(store, kg.query.engine.StoreSpec(register=""))
    job = kg.query.engine.Job(
        f"SELECT * WHERE {{ SERVICE <http://127.0.0.1:{port}/> {{ ?s ?p ?o }} }}",
        None,
        kg.query.engine.DEFAULT_FORMATS,
    )
    with pytest.raises(QueryError) as e:
        evaluator.run(job)
    assert e.value.status == 403 and "SERVICE" in e.value.message
