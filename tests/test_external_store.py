"""`kg serve --sparql-endpoint`: the same app in front of a real external store.

Each store is started by the test on loopback: `oxigraph serve` (PyPI) and, where Debian's
virtuoso-opensource is installed, Virtuoso 7 (`KG_REQUIRE_VIRTUOSO=1`, which CI sets, turns
its absence into a failure). The release goes in with `kg publish` (Virtuoso: Digest
authentication on /sparql-graph-crud-auth), then one query mix runs against a server over the
embedded store and one over the external store, and the answers are compared as sets.

Between the external server and the store sits a recording proxy (a real HTTP hop that keeps
the query texts it forwarded), so the tests can show that refused queries never reach the
store.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs

import httpx
import pyoxigraph as ox
import pytest
from conftest import (
    PORT_TRIES,
    ROOT,
    RunningServer,
    free_port,
    port_was_taken,
    start_server,
    stop_server,
)
from lexical_cases import LEXICAL_CASES, Listener

from kg.errors import KgError
from kg.query.credentials import split_credentials
from kg.query.publish import publish, release_graph_iri
from kg.query.remote import check_store, release_triples
from kg.settings import Settings
from kg.uris import KG, Uris

pytest_plugins = ["search_fixtures"]  # `search_release`: the real release, built once a session
pytestmark = pytest.mark.slow  # Oxigraph, Virtuoso and `kg serve` processes

OXIGRAPH = Path(sys.executable).parent / "oxigraph"
VIRTUOSO = shutil.which("virtuoso-t")
#: Virtuoso's VSP folder: KG_VIRTUOSO_VSP, else where Debian's virtuoso-opensource puts it.
VIRTUOSO_VSP = os.environ.get("KG_VIRTUOSO_VSP") or "/var/lib/virtuoso-opensource-7/vsp"
SECRET_GRAPH = "https://other-publisher.example/graph/private"
SECRET = b'<urn:secret:thing> <urn:secret:says> "this must never be served" .\n'
TIME_LIMIT = "2"

# ---------------------------------------------------------------------------- stores


@dataclass
class Store:
    kind: str
    query_url: str
    graph_store_url: str  # may carry user:password@
    process: subprocess.Popen[bytes]
    log: Path


def _wait_for(url: str, process: subprocess.Popen[bytes], limit: float) -> None:
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the store exited with {process.returncode}")
        try:
            if httpx.get(url, params={"query": "ASK {}"}, timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"the store did not answer at {url} within {limit:g} s")


def start_oxigraph(folder: Path) -> Store:
    for attempt in range(1, PORT_TRIES + 1):
        port = free_port()
        log = folder / "oxigraph.log"
        with open(log, "wb") as out:
            process = subprocess.Popen(
                [
                    str(OXIGRAPH),
                    "serve",
                    "--location",
                    str(folder / "db"),
                    "--bind",
                    f"127.0.0.1:{port}",
                ],
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        base = f"http://127.0.0.1:{port}"
        try:
            _wait_for(f"{base}/query", process, 30)
        except RuntimeError:
            stop(process)
            if attempt < PORT_TRIES and port_was_taken(log):
                continue  # the free port was taken before Oxigraph bound it: another
            raise
        return Store("oxigraph", f"{base}/query", f"{base}/store", process, log)
    raise AssertionError("unreachable")


VIRTUOSO_INI = """\
[Database]
DatabaseFile = {d}/virtuoso.db
ErrorLogFile = {d}/virtuoso.log
LockFile = {d}/virtuoso.lck
TransactionFile = {d}/virtuoso.trx
xa_persistent_file = {d}/virtuoso.pxa
ErrorLogLevel = 7
FileExtend = 200
Striping = 0
TempStorage = TempDatabase
[TempDatabase]
DatabaseFile = {d}/virtuoso-temp.db
TransactionFile = {d}/virtuoso-temp.trx
Striping = 0
[Parameters]
ServerPort = 127.0.0.1:{sql_port}
DisableUnixSocket = 1
MaxClientConnections = 10
CheckpointInterval = 60
CaseMode = 2
DirsAllowed = {d}
NumberOfBuffers = 10000
MaxDirtyBuffers = 6000
ThreadsPerQuery = 2
MaxQueryMem = 500M
[HTTPServer]
ServerPort = 127.0.0.1:{http_port}
ServerRoot = {vsp}
MaxClientConnections = 10
ServerThreads = 10
Charset = UTF-8
EnabledGzipContent = 0
[SPARQL]
; above kg serve's row cap, so the store never cuts a result short on its own
ResultSetMaxRows = 100000
MaxQueryCostEstimationTime = 400
MaxQueryExecutionTime = 30
"""


def start_virtuoso(folder: Path) -> Store:
    for attempt in range(1, PORT_TRIES + 1):
        http_port, sql_port = free_port(), free_port()
        (folder / "virtuoso.ini").write_text(
            VIRTUOSO_INI.format(d=folder, sql_port=sql_port, http_port=http_port, vsp=VIRTUOSO_VSP)
        )
        log = folder / "virtuoso.out"
        with open(log, "wb") as out:
            process = subprocess.Popen(
                [str(VIRTUOSO), "-f", "-c", "virtuoso.ini"],
                cwd=folder,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        base = f"http://127.0.0.1:{http_port}"
        try:
            _wait_for(f"{base}/sparql", process, 60)
        except RuntimeError:
            stop(process)
            if attempt < PORT_TRIES and port_was_taken(log, folder / "virtuoso.log"):
                (folder / "virtuoso.lck").unlink(missing_ok=True)
                continue  # a port was taken before Virtuoso bound it: other ports
            raise
        return Store(
            "virtuoso",
            f"{base}/sparql",
            f"http://dba:dba@127.0.0.1:{http_port}/sparql-graph-crud-auth",
            process,
            log,
        )
    raise AssertionError("unreachable")


def stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


@pytest.fixture(scope="module", params=["oxigraph", "virtuoso"])
def store(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, search_release: Path
) -> Iterator[Store]:
    """A store holding the release (published with kg publish) and another publisher's graph."""
    folder = tmp_path_factory.mktemp(request.param)
    if request.param == "virtuoso":
        if not VIRTUOSO:
            # a recorded skip on a developer's machine, a failure in CI
            assert os.environ.get("KG_REQUIRE_VIRTUOSO") != "1", "virtuoso-t is not installed"
            pytest.skip("virtuoso-t is not installed (scripts/install-virtuoso)")
        running = start_virtuoso(folder)
    else:
        running = start_oxigraph(folder)
    try:
        publish(search_release, running.graph_store_url, Uris())
        url, auth = split_credentials(running.graph_store_url)
        put = httpx.put(
            url,
            params={"graph": SECRET_GRAPH},
            content=SECRET,
            headers={"Content-Type": "application/n-triples"},
            auth=auth,
            timeout=30,
        )
        assert put.status_code in (200, 201, 204), put.text
        yield running
    finally:
        stop(running.process)


# ---------------------------------------------------------------------------- recording proxy


@dataclass
class Recorder:
    """A loopback HTTP proxy in front of the store that remembers every query it forwarded."""

    target: str
    queries: list[str] = field(default_factory=list)
    server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        assert self.server is not None
        return f"http://127.0.0.1:{self.server.server_address[1]}/sparql"

    def start(self) -> None:
        recorder = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def _forward(self, method: str) -> None:
                length = int(self.headers.get("content-length") or 0)
                body = self.rfile.read(length) if length else b""
                fields = parse_qs(body.decode() if body else self.path.partition("?")[2])
                recorder.queries.extend(fields.get("query", []))
                headers = {
                    k: v
                    for k, v in self.headers.items()
                    if k.lower() in ("accept", "content-type", "authorization")
                }
                query_string = self.path.partition("?")[2]
                url = recorder.target + (f"?{query_string}" if query_string else "")
                try:
                    r = httpx.request(method, url, content=body, headers=headers, timeout=60)
                except httpx.HTTPError:
                    self.send_error(502)
                    return
                self.send_response(r.status_code)
                for name, value in r.headers.items():
                    if name.lower() in (
                        "content-type",
                        "www-authenticate",
                    ) or name.lower().startswith("x-sql"):
                        self.send_header(name, value)
                self.send_header("Content-Length", str(len(r.content)))
                self.end_headers()
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    self.wfile.write(r.content)  # the server may have given up (time limit)

            def do_GET(self) -> None:  # noqa: N802
                self._forward("GET")

            def do_POST(self) -> None:  # noqa: N802
                self._forward("POST")

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()


# ---------------------------------------------------------------------------- servers


@pytest.fixture(scope="module")
def embedded(search_server: RunningServer) -> RunningServer:
    """The session's server over the same release with the embedded store."""
    return search_server


@pytest.fixture(scope="module")
def recorder(store: Store) -> Iterator[Recorder]:
    proxy = Recorder(store.query_url)
    proxy.start()
    yield proxy
    proxy.stop()


@pytest.fixture(scope="module")
def external(
    search_release: Path, recorder: Recorder, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[RunningServer]:
    args = ["--workers", "2", "--http-workers", "1", "--time-limit", TIME_LIMIT]
    args += ["--sparql-endpoint", recorder.url]
    server = start_server(search_release, tmp_path_factory.mktemp("external"), args)
    yield server
    stop_server(server)


# ---------------------------------------------------------------------------- the query mix

PREFIXES = f"""PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX oa: <http://www.w3.org/ns/oa#>
PREFIX kg: <{KG}>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
"""
BASE = Uris().base

SELECTS = [
    "SELECT ?p ?label WHERE { ?p a kg:Position ; skos:prefLabel ?label FILTER(LANG(?label) = 'kk') }",
    "SELECT ?grade (COUNT(?p) AS ?n) WHERE { ?p a kg:Position ; kg:grade ?grade } GROUP BY ?grade",
    "SELECT DISTINCT ?type WHERE { ?s a ?type }",
    "SELECT ?s ?n WHERE { ?s skos:notation ?n FILTER(STRSTARTS(STR(?n), 'B2')) }",
    f"SELECT ?a WHERE {{ <{BASE}position/B2-1-H.01> skos:broader+ ?a }}",
    "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }",
    "SELECT ?q ?start ?end WHERE { ?q a oa:TextPositionSelector ; oa:start ?start ; oa:end ?end }",
    "SELECT ?p ?block ?tier WHERE { ?p a kg:Position ; kg:block ?block OPTIONAL { ?p kg:tier ?tier } } "
    "ORDER BY ?p LIMIT 50 OFFSET 10",
    "SELECT ?s ?label WHERE { ?s rdfs:label ?label FILTER(CONTAINS(LCASE(?label), 'decision')) }",
    "SELECT ?s WHERE { VALUES ?s { <" + BASE + "block/A> <" + BASE + "block/Z> } ?s a ?t }",
    # another publisher's graph in the same store stays invisible, whatever the query says
    "SELECT * WHERE { GRAPH ?g { ?s ?p ?o } }",
    f"SELECT * WHERE {{ GRAPH <{SECRET_GRAPH}> {{ ?s ?p ?o }} }}",
    f"SELECT * FROM <{SECRET_GRAPH}> WHERE {{ ?s ?p ?o }}",
    f"SELECT * FROM NAMED <{SECRET_GRAPH}> WHERE {{ GRAPH ?g {{ ?s ?p ?o }} }}",
]
ASKS = [
    "ASK { ?s a kg:Position }",
    "ASK { ?s skos:prefLabel 'no such label'@kk }",
    f"ASK {{ GRAPH <{SECRET_GRAPH}> {{ ?s ?p ?o }} }}",
]
CONSTRUCTS = [
    "CONSTRUCT { ?s skos:prefLabel ?l } WHERE { ?s a kg:Grade ; skos:prefLabel ?l }",
    f"CONSTRUCT WHERE {{ <{BASE}block/A> ?p ?o }}",
    "CONSTRUCT { ?p kg:inTier ?t } WHERE { ?p kg:tier ?t } ORDER BY ?p ?t LIMIT 100",
]


def solutions(response: httpx.Response) -> tuple[set[str], Counter[frozenset[tuple[str, str]]]]:
    """Variables and the multiset of solutions, each a set of (variable, term) pairs (the
    column order of SELECT * is the store's choice)."""
    results = ox.parse_query_results(response.content, ox.QueryResultsFormat.JSON)
    names = [v.value for v in results.variables]  # type: ignore[union-attr]
    rows = Counter(
        frozenset((n, str(t)) for n, t in zip(names, row, strict=True) if t is not None)
        for row in results  # type: ignore[union-attr]
    )
    return set(names), rows


def ask(server: RunningServer, query: str, accept: str, **extra: str) -> httpx.Response:
    return httpx.get(
        server.endpoint,
        params={"query": PREFIXES + query, **extra},
        headers={"Accept": accept},
        timeout=60,
    )


@pytest.mark.parametrize("query", SELECTS)
def test_select_answers_match(query: str, embedded: RunningServer, external: RunningServer) -> None:
    a = ask(embedded, query, "application/sparql-results+json")
    b = ask(external, query, "application/sparql-results+json")
    assert a.status_code == b.status_code == 200, (a.text[:300], b.text[:300])
    names_a, rows_a = solutions(a)
    names_b, rows_b = solutions(b)
    assert names_a == names_b
    assert rows_a == rows_b
    assert b"this must never be served" not in b.content


@pytest.mark.parametrize("query", ASKS)
def test_ask_answers_match(query: str, embedded: RunningServer, external: RunningServer) -> None:
    a = ask(embedded, query, "application/sparql-results+json")
    b = ask(external, query, "application/sparql-results+json")
    assert a.status_code == b.status_code == 200
    assert a.json()["boolean"] == b.json()["boolean"]


@pytest.mark.parametrize("query", CONSTRUCTS)
def test_construct_answers_match(
    query: str, embedded: RunningServer, external: RunningServer
) -> None:
    a = ask(embedded, query, "application/n-triples")
    b = ask(external, query, "application/n-triples")
    assert a.status_code == b.status_code == 200
    triples_a = {str(q.triple) for q in ox.parse(a.content, ox.RdfFormat.N_TRIPLES)}
    triples_b = {str(q.triple) for q in ox.parse(b.content, ox.RdfFormat.N_TRIPLES)}
    assert triples_a == triples_b and triples_a


def test_same_bytes_in_every_format(embedded: RunningServer, external: RunningServer) -> None:
    """Answers are re-serialised by the same code, so an ordered answer is byte-identical."""
    query = "SELECT ?s ?n WHERE { ?s skos:notation ?n } ORDER BY ?s ?n"
    for accept in ("application/sparql-results+json", "application/sparql-results+xml", "text/csv"):
        a, b = ask(embedded, query, accept), ask(external, query, accept)
        assert a.status_code == b.status_code == 200
        assert a.content == b.content, accept


def test_protocol_dataset_reads_nothing_of_the_store(
    embedded: RunningServer, external: RunningServer, store: Store, search_release: Path
) -> None:
    query = "SELECT * WHERE { ?s ?p ?o } LIMIT 5"
    graph = release_graph_iri(Uris(), search_release)
    for extra in (
        {"default-graph-uri": SECRET_GRAPH},
        {"named-graph-uri": SECRET_GRAPH},
        {"default-graph-uri": graph},
    ):
        a = ask(embedded, query, "application/sparql-results+json", **extra)
        b = ask(external, query, "application/sparql-results+json", **extra)
        assert a.status_code == b.status_code == 200
        assert solutions(a) == solutions(b)
        assert b"this must never be served" not in b.content


REFUSED = [
    ("SELECT * WHERE { SERVICE <http://127.0.0.1:9/sparql> { ?s ?p ?o } }", 403),
    ("DROP ALL", 403),
    ("INSERT DATA { <urn:a> <urn:b> <urn:c> }", 403),
    ("LOAD <http://127.0.0.1:9/data.nt>", 403),
    ("SELECT ?x WHERE { BIND(<bif:sprintf>('%s', 'a') AS ?x) }", 403),
    (
        "SELECT ?x WHERE { BIND(<http://www.openlinksw.com/schemas/bif#sprintf>('a') AS ?x) }",
        403,
    ),
    ("define input:default-graph-uri <urn:x> SELECT * WHERE { ?s ?p ?o }", 400),
    ("SELECT * WHERE { ?s ?p }", 400),
    ("SELECT * WHERE { ?s ?p ?o } # " + "x" * 70_000, 413),
]


@pytest.mark.parametrize(("query", "status"), REFUSED)
def test_refused_before_reaching_the_store(
    query: str, status: int, embedded: RunningServer, external: RunningServer, recorder: Recorder
) -> None:
    before = len(recorder.queries)
    post = {"data": {"query": query}, "headers": {"Accept": "application/sparql-results+json"}}
    b = httpx.post(external.endpoint, timeout=30, **post)
    assert b.status_code == status, b.text
    assert all("SERVICE" not in q and "bif" not in q for q in recorder.queries[before:])
    assert len(recorder.queries) == before, recorder.queries[before:]
    if "bif" not in query:  # the embedded store refuses the same way
        assert httpx.post(embedded.endpoint, timeout=30, **post).status_code == status


def test_accepted_queries_do_reach_the_store(external: RunningServer, recorder: Recorder) -> None:
    """The recorder sees what it should (so the refusal test above can fail)."""
    before = len(recorder.queries)
    r = ask(external, "ASK { ?s a kg:Grade } # reached", "application/sparql-results+json")
    assert r.status_code == 200
    assert any("# reached" in q for q in recorder.queries[before:])


PAGES = [
    "/position/B2-1-H.01.ttl",
    "/grade/B2-1-H.ttl",
    "/block/A.ttl",
    "/position/B2-1-H.01.html",
    "/",
    "/browse",
    "/block/B",
    "/api/search?q=бухгалтер",
]
#: Virtuoso 7.2.5 drops the solution whose first OPTIONAL fails in
#: `?this skos:broader+ ?a . OPTIONAL {...} OPTIONAL {...}` (kg.web.pages' breadcrumb query),
#: so a page below a block misses the block's notation. Writing the path as its own group,
#: `{ ?this skos:broader+ ?a }`, avoids it; strict, so a fix on either side shows up here.
VIRTUOSO_BREADCRUMB_BUG = "/position/B2-1-H.01.html"


@pytest.mark.parametrize("path", PAGES)
def test_pages_match(
    path: str,
    embedded: RunningServer,
    external: RunningServer,
    store: Store,
    request: pytest.FixtureRequest,
) -> None:
    """Pages read the store through the same Repository interface: same documents."""
    if store.kind == "virtuoso" and path == VIRTUOSO_BREADCRUMB_BUG:
        reason = "Virtuoso 7.2.5 loses OPTIONAL solutions after a property path"
        request.applymarker(pytest.mark.xfail(strict=True, reason=reason))
    a = httpx.get(embedded.base_url + path, timeout=30, headers={"Accept": "text/html"})
    b = httpx.get(external.base_url + path, timeout=30, headers={"Accept": "text/html"})
    assert a.status_code == b.status_code
    if path.endswith(".ttl") and a.status_code == 200:
        triples_a = {str(q.triple) for q in ox.parse(a.content, ox.RdfFormat.TURTLE)}
        triples_b = {str(q.triple) for q in ox.parse(b.content, ox.RdfFormat.TURTLE)}
        assert triples_a == triples_b and triples_a
    else:
        assert a.content == b.content


def test_health_says_external(external: RunningServer) -> None:
    health = httpx.get(f"{external.base_url}/healthz", timeout=10).json()
    assert health["status"] == "ok" and health["store"] == "external"
    assert "127.0.0.1" not in str(health)  # the store's address is not published


# ---------------------------------------------------------------------------- start-up


def _serve(release: Path, endpoint: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "kg.cli",
            "serve",
            "--release",
            str(release),
            "--port",
            str(free_port()),
            "--sparql-endpoint",
            endpoint,
            *args,
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_a_store_without_the_release_is_refused(search_release: Path, store: Store) -> None:
    """The store answers, but not with the release's graph: no server starts (the check
    `kg serve` runs before it forks; the command's exit is tested just below)."""
    settings = Settings(sparql_endpoint=store.query_url, sparql_graph="urn:kg:not-published")
    with pytest.raises(KgError, match=r"holds 0 triples .*kg publish"):
        check_store(search_release, settings)


def test_an_unreachable_store_is_refused(search_release: Path) -> None:
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    run = _serve(search_release, f"http://127.0.0.1:{port}/sparql")
    assert run.returncode == 2, run
    assert "did not answer" in run.stderr and "Traceback" not in run.stderr


def test_lexical_cases_reach_no_network(
    external: RunningServer, store: Store, recorder: Recorder
) -> None:
    """SERVICE hidden where two lexers may disagree: neither kg serve nor the store connects."""
    listener = Listener()
    try:
        with httpx.Client(timeout=30) as client:
            for name, template in LEXICAL_CASES:
                query = template.format(url=listener.url)
                r = client.post(external.endpoint, data={"query": query})
                assert r.status_code < 500, (name, r.status_code, r.text[:300])
        assert not listener.seen_after(0, wait=1.0), f"{store.kind} or kg serve connected out"
    finally:
        listener.close()
    assert "Traceback" not in external.log()


def test_a_bare_cr_after_a_comment_is_refused_before_the_store(
    external: RunningServer, recorder: Recorder
) -> None:
    before = len(recorder.queries)
    query = "SELECT * WHERE { ?s ?p ?o } #x\r LIMIT 1\n"
    r = httpx.post(external.endpoint, data={"query": query}, timeout=30)
    assert r.status_code == 400 and "comment ends" in r.text
    assert len(recorder.queries) == before


class _EstimatingStore(BaseHTTPRequestHandler):
    """A store that holds the release but refuses every other query as Virtuoso does when
    its cost estimate is over MaxQueryCostEstimationTime (a 500, before running anything)."""

    triples = 0

    def log_message(self, *args: object) -> None:
        pass

    def do_POST(self) -> None:  # noqa: N802
        body = self.rfile.read(int(self.headers.get("content-length") or 0)).decode()
        query = parse_qs(body).get("query", [""])[0]
        if query == "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }":
            n = self.triples
            answer = (
                '{"head":{"vars":["n"]},"results":{"bindings":[{"n":{"type":"literal",'
                f'"datatype":"http://www.w3.org/2001/XMLSchema#integer","value":"{n}"}}}}]}}}}'
            )
            status, kind = 200, "application/sparql-results+json"
        else:
            answer = (
                "Virtuoso 42000 Error The estimated execution time 241109 (sec) exceeds the "
                f"limit of 400 (sec).\n\nSPARQL query:\n{query}"
            )
            status, kind = 500, "text/plain"
        data = answer.encode()
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


def test_a_store_cost_estimate_refusal_is_the_time_limit(
    search_release: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """Virtuoso's estimate is sampled, so the same query is sometimes run (and stopped at the
    time limit) and sometimes refused at once: both are the time limit, never "unavailable"."""
    handler = type("Handler", (_EstimatingStore,), {})
    handler.triples = release_triples(search_release / "register.nt")
    stub = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=stub.serve_forever, daemon=True).start()
    endpoint = f"http://127.0.0.1:{stub.server_address[1]}/sparql"
    args = ["--workers", "1", "--http-workers", "1", "--time-limit", TIME_LIMIT]
    server = start_server(
        search_release,
        tmp_path_factory.mktemp("estimating"),
        [*args, "--sparql-endpoint", endpoint],
    )
    try:
        query = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
        r = ask(server, query, "application/sparql-results+json")
        assert r.status_code == 503, r.text
        assert "time limit" in r.text and "unavailable" not in r.text
    finally:
        stop_server(server)
        stub.shutdown()
        stub.server_close()


def test_time_limit_applies_to_the_store(external: RunningServer) -> None:
    """Runs last for each store: the store may go on computing after we give up."""
    query = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
    started = time.monotonic()
    r = ask(external, query, "application/sparql-results+json")
    assert r.status_code == 503, r.text
    assert "time limit" in r.text
    assert time.monotonic() - started < float(TIME_LIMIT) + 10
    assert httpx.get(f"{external.base_url}/healthz", timeout=10).status_code == 200
