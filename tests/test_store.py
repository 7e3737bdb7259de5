"""kg.query.store in-process: the repository interface, the cache, and the SERVICE gate on its own.

The network sandbox is switched off here, so the refusal of SERVICE is proved by the parser
check alone: a listener on loopback sees no connection.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Coroutine, Iterator
from pathlib import Path
from typing import Any, TypeVar

import pyoxigraph as ox
import pytest

from kg.query.store import (
    CSV,
    N_TRIPLES,
    SPARQL_JSON,
    TSV,
    TURTLE,
    Dataset,
    Formats,
    QueryError,
    QueryForm,
    QueryService,
    Repository,
    refuse_federated,
)
from kg.settings import Settings

T = TypeVar("T")
BASE = "https://reg1042.example.org/"
SKOS = "http://www.w3.org/2004/02/skos/core#"


class Running:
    """A QueryService on its own event loop, driven synchronously from tests."""

    def __init__(self, service: QueryService) -> None:
        self.service = service
        self.loop = asyncio.new_event_loop()
        self.run(service.start())

    def run(self, coro: Coroutine[Any, Any, T]) -> T:
        return self.loop.run_until_complete(coro)

    def close(self) -> None:
        self.run(self.service.close())
        self.loop.close()


@pytest.fixture(scope="module")
def running(fixture_release: Path) -> Iterator[Running]:
    settings = Settings(workers=1, time_limit=3, row_cap=500, sandbox_network=False)
    r = Running(QueryService.from_release(fixture_release, settings))
    yield r
    r.close()


def test_repository(running: Running) -> None:
    repo = Repository(running.service)
    rows = running.run(
        repo.select(
            f"SELECT * WHERE {{ ?tier <{SKOS}prefLabel> ?label }}",
            bindings={"tier": ox.NamedNode(BASE + "tier/A1")},
        )
    )
    assert {r["label"] for r in rows} == {
        ox.Literal("Tier A1", language="en"),
        ox.Literal("A1 звеносы", language="kk"),
    }
    assert running.run(repo.ask(f"ASK {{ <{BASE}tier/A1> ?p ?o }}")) is True
    described = running.run(repo.describe(BASE + "position/A1-1.01"))
    assert (
        ox.Triple(
            ox.NamedNode(BASE + "position/A1-1.01"),
            ox.NamedNode(SKOS + "broader"),
            ox.NamedNode(BASE + "grade/A1-1"),
        )
        in described
    )
    with pytest.raises(QueryError) as e:
        running.run(repo.select("ASK {}"))
    assert e.value.status == 400
    with pytest.raises(QueryError):
        running.run(repo.describe("not an iri>"))


def test_results_are_cached_as_bytes(running: Running) -> None:
    query = f"SELECT ?s WHERE {{ ?s <{SKOS}notation> ?n }} ORDER BY ?s"
    first = running.run(running.service.execute(query))
    hits = running.service.stats.cache_hits
    again = running.run(running.service.execute("  " + query + "\n"))
    assert again is first and running.service.stats.cache_hits == hits + 1
    as_csv = running.run(running.service.execute(query, formats=Formats(solutions=CSV)))
    assert as_csv.media_type == CSV and as_csv.body != first.body
    random = "SELECT (RAND() AS ?r) WHERE {}"
    a = running.run(running.service.execute(random))
    b = running.run(running.service.execute(random))
    assert a.body != b.body  # not cached: each evaluation draws anew


def test_formats_and_forms(running: Running) -> None:
    r = running.run(running.service.execute(f"CONSTRUCT WHERE {{ <{BASE}tier/A1> ?p ?o }}"))
    assert r.form is QueryForm.GRAPH and r.media_type == TURTLE and b"@prefix skos:" in r.body
    r = running.run(running.service.execute("ASK {}"))
    assert r.form is QueryForm.BOOLEAN and r.media_type == SPARQL_JSON
    with pytest.raises(QueryError) as e:
        running.run(running.service.execute("ASK {}", formats=Formats(solutions=CSV, boolean=None)))
    assert e.value.status == 406


def test_limits(running: Running) -> None:
    with pytest.raises(QueryError) as e:
        running.run(running.service.execute("SELECT * WHERE { ?s ?p ?o }"))
    assert e.value.status == 422  # 1953 triples > row cap 500
    ok = running.run(running.service.execute("SELECT * WHERE { ?s ?p ?o } LIMIT 500"))
    assert ok.rows == 500
    with pytest.raises(QueryError) as e:
        running.run(running.service.execute("ASK {} #" + "x" * 70_000))
    assert e.value.status == 413
    with pytest.raises(QueryError) as e:
        running.run(running.service.execute("ASK {}", dataset=Dataset(("no iri",))))
    assert e.value.status == 400


def test_service_gate_alone_makes_no_connection(running: Running) -> None:
    assert not running.service.network_sandboxed
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(4)
        listener.settimeout(0.5)
        port = listener.getsockname()[1]
        for query in (
            f"ASK {{ SERVICE <http://127.0.0.1:{port}/> {{ ?s ?p ?o }} }}",
            f"select * {{ optional {{ service silent <http://127.0.0.1:{port}/> {{ ?s ?p ?o }} }} "
            "}",
        ):
            with pytest.raises(QueryError) as e:
                running.run(running.service.execute(query))
            assert e.value.status == 403
        with pytest.raises(TimeoutError):
            listener.accept()


@pytest.mark.parametrize(
    ("query", "refused"),
    [
        ("SELECT * WHERE { SERVICE <http://x/> { ?s ?p ?o } }", True),
        ("SELECT * WHERE { MINUS { SERVICE <http://x/> { ?s ?p ?o } } }", True),
        ("SELECT (EXISTS { SERVICE <http://x/> {} } AS ?e) WHERE {}", True),
        ("SELECT * WHERE { \\u0053ERVICE <http://x/> { ?s ?p ?o } }", True),
        ('SELECT * WHERE { ?s ?p "SERVICE" } # SERVICE <http://x/> {}', False),
        ("PREFIX service: <urn:s:> SELECT * WHERE { ?s service:p ?o }", False),
        ("SELECT * WHERE { ?s ?p ?o }", False),
    ],
)
def test_refuse_federated(query: str, refused: bool) -> None:
    if refused:
        with pytest.raises(QueryError) as e:
            refuse_federated(query)
        assert e.value.status == 403
    else:
        refuse_federated(query)


def test_a_query_over_the_memory_limit_kills_only_its_worker(fixture_release: Path) -> None:
    settings = Settings(workers=1, time_limit=20, worker_memory_limit=512 * 2**20, cache_bytes=0)
    r = Running(QueryService.from_release(fixture_release, settings))
    try:
        hungry = "SELECT * WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i } ORDER BY ?a ?d ?g LIMIT 1"
        with pytest.raises(QueryError) as e:
            r.run(r.service.execute(hungry))
        assert e.value.status == 503 and "memory" in e.value.message
        assert r.run(r.service.execute("ASK {}")).body == b'{"head":{},"boolean":true}'
        assert r.service.health()["worker_restarts"] == 1
    finally:
        r.close()


# ---------------------------------------------------------------- bounded queries in process

BOUNDED_CASES = [
    (f"ASK {{ <{BASE}tier/A1> <{SKOS}prefLabel> ?l }}", Formats(boolean=SPARQL_JSON)),
    (f"SELECT ?l WHERE {{ <{BASE}tier/A1> <{SKOS}prefLabel> ?l }}", Formats(solutions=TSV)),
    (
        f"SELECT ?l WHERE {{ <{BASE}tier/A1> <{SKOS}prefLabel> ?l }}",
        Formats(solutions=SPARQL_JSON),
    ),
    (f"DESCRIBE <{BASE}tier/A1>", Formats(graph=N_TRIPLES)),
    (f"DESCRIBE <{BASE}tier/A1>", Formats(graph=TURTLE)),
]


@pytest.mark.parametrize(("query", "formats"), BOUNDED_CASES)
def test_a_bounded_query_answered_here_is_the_workers_answer(
    running: Running, query: str, formats: Formats
) -> None:
    """The same bytes whether the HTTP process or a worker evaluates: the variant with
    `FILTER(true)` is not in the bounded grammar, so a worker evaluates it."""
    stats = running.service.stats
    local_before = stats.local_evaluations
    here = running.run(running.service.execute(query + " ", formats=formats))
    assert stats.local_evaluations == local_before + 1
    worker_query = query.replace("?l }", "?l FILTER(true) }")
    if query.startswith("DESCRIBE"):
        worker_query = query + " WHERE { FILTER(true) }"
    there = running.run(running.service.execute(worker_query, formats=formats))
    assert stats.local_evaluations == local_before + 1
    assert (here.form, here.media_type, here.body) == (there.form, there.media_type, there.body)
    assert here.body  # a real answer, not two empty ones


def test_an_unbounded_query_still_goes_to_a_worker(running: Running) -> None:
    before = running.service.stats.local_evaluations
    running.run(running.service.execute(f"ASK {{ ?s <{SKOS}prefLabel> ?l }}"))
    assert running.service.stats.local_evaluations == before
