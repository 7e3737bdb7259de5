"""Hundreds of bad, expensive and malicious SPARQL requests at a running server.

Every request must end in a 4xx, the documented 503 (time limit, busy or a query worker that
died), or, for generated texts that happen to be valid queries, a 2xx: never another 5xx.
The server must answer /healthz throughout, and no request may make it connect anywhere: a
listener on a loopback port that SERVICE and LOAD name records every connection, and must
record none. The outcome counts are printed (run with -s to see them).
"""

from __future__ import annotations

import random
import socket
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from urllib.parse import quote, urlencode

import httpx
import pytest
from conftest import FIXTURE_RELEASE, RunningServer
from hostile_support import raw_request
from lexical_cases import LEXICAL_CASES

pytestmark = pytest.mark.slow

TIME_LIMIT = 1.0
PREFIX = "PREFIX skos: <http://www.w3.org/2004/02/skos/core#>\n"

# ---------------------------------------------------------------------------- fixtures


@dataclass
class Listener:
    """A loopback TCP port that counts connections (nothing should ever connect)."""

    sock: socket.socket
    connections: list[tuple[str, int]] = field(default_factory=list)
    stopped: threading.Event = field(default_factory=threading.Event)

    @property
    def port(self) -> int:
        return self.sock.getsockname()[1]

    def run(self) -> None:
        self.sock.settimeout(0.2)
        while not self.stopped.is_set():
            try:
                conn, addr = self.sock.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self.connections.append(addr)
            conn.close()


@pytest.fixture(scope="module")
def listener() -> Iterator[Listener]:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(16)
    watch = Listener(sock)
    thread = threading.Thread(target=watch.run, daemon=True)
    thread.start()
    yield watch
    watch.stopped.set()
    thread.join(5)
    sock.close()


@pytest.fixture(scope="module")
def fuzz_server(launch: Callable[..., RunningServer]) -> RunningServer:
    """The small fixture release with a 1 s time limit and two query workers."""
    args = ["--time-limit", str(TIME_LIMIT), "--workers", "2", "--http-workers", "1"]
    return launch(FIXTURE_RELEASE, args)


# ---------------------------------------------------------------------------- the requests


@dataclass(frozen=True)
class Attempt:
    """One hostile request: its category, what may come back, and how to send it."""

    category: str
    method: str = "GET"
    query: str | None = None
    params: tuple[tuple[str, str], ...] = ()
    content: bytes | None = None
    headers: tuple[tuple[str, str], ...] = ()
    #: Statuses that count as handled well for this attempt.
    allowed: frozenset[int] = frozenset()
    raw_target: str | None = None  # a hand-made request target (long or odd URLs)


def bad(category: str, query: str, *statuses: int, via: str = "GET") -> Attempt:
    allowed = frozenset(statuses or (400, 403))
    if via == "POST-form":
        return Attempt(category, "POST", params=(("query", query),), allowed=allowed)
    if via == "POST-direct":
        return Attempt(
            category,
            "POST",
            content=query.encode("utf-8", "surrogatepass"),
            headers=(("Content-Type", "application/sparql-query"),),
            allowed=allowed,
        )
    return Attempt(category, query=query, allowed=allowed)


FOUR_XX = frozenset(range(400, 500))
ANY_OK = frozenset(range(200, 300)) | FOUR_XX | {503}
EXPENSIVE_OK = FOUR_XX | {503} | frozenset(range(200, 300))

UPDATES = [
    "INSERT DATA { <urn:a> <urn:b> <urn:c> }",
    "DELETE DATA { <urn:a> <urn:b> <urn:c> }",
    "DELETE WHERE { ?s ?p ?o }",
    "INSERT { ?s <urn:x> 1 } WHERE { ?s ?p ?o }",
    "DELETE { ?s ?p ?o } INSERT { ?s ?p 1 } WHERE { ?s ?p ?o }",
    "WITH <urn:g> DELETE { ?s ?p ?o } WHERE { ?s ?p ?o }",
    "DELETE { ?s ?p ?o } USING <urn:g> WHERE { ?s ?p ?o }",
    "LOAD <http://127.0.0.1:{port}/data.nt>",
    "LOAD SILENT <http://127.0.0.1:{port}/data.nt>",
    "LOAD <http://127.0.0.1:{port}/data.nt> INTO GRAPH <urn:g>",
    "LOAD <file:///etc/passwd>",
    "CLEAR ALL",
    "CLEAR DEFAULT",
    "CLEAR NAMED",
    "CLEAR SILENT GRAPH <urn:g>",
    "DROP ALL",
    "DROP DEFAULT",
    "DROP NAMED",
    "DROP SILENT GRAPH <urn:g>",
    "CREATE GRAPH <urn:g>",
    "CREATE SILENT GRAPH <urn:g>",
    "ADD DEFAULT TO <urn:g>",
    "MOVE DEFAULT TO <urn:g>",
    "COPY DEFAULT TO <urn:g>",
    "ADD SILENT <urn:a> TO DEFAULT",
    "INSERT DATA { <urn:a> <urn:b> <urn:c> } ; DROP ALL",
    "PREFIX ex: <urn:> BASE <urn:x> DROP ALL",
    "drop all",
    "DrOp AlL",
    "# a comment first\nDROP ALL",
    "\\u0044ROP ALL",
    "INSERT DATA { GRAPH <urn:g> { <urn:a> <urn:b> <urn:c> } }",
    "DELETE WHERE { GRAPH ?g { ?s ?p ?o } }",
    "SELECT * WHERE { ?s ?p ?o } ; DROP ALL",
]

SERVICE_TARGETS = [
    "http://127.0.0.1:{port}/sparql",
    "http://localhost:{port}/sparql",
    "http://[::1]:{port}/sparql",
    "http://0.0.0.0:{port}/sparql",
    "http://127.1:{port}/sparql",
    "http://2130706433:{port}/sparql",
    "http://169.254.169.254/latest/meta-data/",
    "http://10.0.0.1/sparql",
    "http://192.168.1.1/sparql",
    "https://dbpedia.org/sparql",
    "http://example.org/sparql",
    "file:///etc/passwd",
]
SERVICE_SHAPES = [
    "SELECT * WHERE {{ SERVICE <{t}> {{ ?s ?p ?o }} }}",
    "SELECT * WHERE {{ SERVICE SILENT <{t}> {{ ?s ?p ?o }} }}",
    "select * where {{ service <{t}> {{ ?s ?p ?o }} }}",
    "SELECT * WHERE {{ ?a ?b ?c OPTIONAL {{ SERVICE <{t}> {{ ?a ?p ?o }} }} }}",
    "SELECT * WHERE {{ {{ SELECT * WHERE {{ SERVICE <{t}> {{ ?s ?p ?o }} }} }} }}",
    "ASK {{ SERVICE <{t}> {{ ?s ?p ?o }} }}",
    "CONSTRUCT {{ ?s ?p ?o }} WHERE {{ SERVICE <{t}> {{ ?s ?p ?o }} }}",
    "SELECT * WHERE {{ SERV\\u0049CE <{t}> {{ ?s ?p ?o }} }}",
    "SELECT * WHERE {{ FILTER EXISTS {{ SERVICE <{t}> {{ ?s ?p ?o }} }} }}",
    "PREFIX x: <{t}#> SELECT * WHERE {{ SERVICE x:e {{ ?s ?p ?o }} }}",
]
SERVICE_VARIABLE = [
    "SELECT * WHERE { BIND(<http://127.0.0.1:{port}/sparql> AS ?e) SERVICE ?e { ?s ?p ?o } }",
    "SELECT * WHERE { VALUES ?e { <http://127.0.0.1:{port}/> } SERVICE ?e { ?s ?p ?o } }",
]

#: Runaways: stopped at the time limit (503) or, past the row cap, refused (422).
RUNAWAY = [
    "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }",
    "SELECT * WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i } ORDER BY ?a ?d ?g",
    "SELECT (COUNT(*) AS ?n) WHERE { ?a (<urn:p>|!<urn:p>)* ?b . ?c (<urn:p>|!<urn:p>)* ?d }",
    "SELECT (COUNT(*) AS ?n) WHERE { ?a (!<urn:x>)+ ?b . ?b (!<urn:x>)+ ?c . ?d ?e ?f }",
    "CONSTRUCT { ?a ?b ?d } WHERE { ?a ?b ?c . ?d ?e ?f }",
    "SELECT (GROUP_CONCAT(STR(?o)) AS ?all) WHERE { ?s ?p ?o . ?x ?y ?z . ?u ?v ?w }",
    "SELECT ?x WHERE { VALUES ?x { 1 2 3 4 5 6 7 8 9 10 } ?a ?b ?c . ?d ?e ?f }",
    "SELECT (MAX(STRLEN(CONCAT(STR(?a), STR(?c), STR(?f)))) AS ?l) "
    "WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }",
]
#: Costly but bounded on the small fixture: any of 2xx, 4xx, 503.
EXPENSIVE = [
    "SELECT * WHERE { ?s ?p ?o }",
    "ASK { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i FILTER(?a = <urn:none>) }",
    "DESCRIBE ?s WHERE { ?s ?p ?o }",
    "SELECT (COUNT(*) AS ?n) WHERE { ?a (<urn:p>|!<urn:p>)* ?b }",
    "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f } LIMIT 1",
]


def huge_literal(size: int) -> str:
    return 'SELECT * WHERE { ?s ?p "' + "a" * size + '" }'


def nested(kind: str, depth: int) -> str:
    if kind == "groups":
        return "SELECT * WHERE " + "{ " * depth + "?s ?p ?o" + " }" * depth
    if kind == "parens":
        return "SELECT * WHERE { ?s ?p ?o FILTER(" + "(" * depth + "1" + ")" * depth + ") }"
    if kind == "optional":
        return "SELECT * WHERE { ?s ?p ?o " + "OPTIONAL { ?s ?p ?o " * depth + "}" * depth + " }"
    if kind == "subselect":
        inner = "?s ?p ?o"
        for _ in range(depth):
            inner = "{ SELECT * WHERE { " + inner + " } }"
        return "SELECT * WHERE " + inner
    if kind == "union":
        return "SELECT * WHERE { " + " UNION ".join(["{ ?s ?p ?o }"] * depth) + " }"
    if kind == "not":
        return "SELECT * WHERE { ?s ?p ?o FILTER(" + "!" * depth + "true) }"
    if kind == "path":
        return "SELECT * WHERE { ?s " + "(" * depth + "<urn:p>" + ")*" * depth + " ?o }"
    raise ValueError(kind)


TOKENS = [
    "SELECT", "ASK", "CONSTRUCT", "DESCRIBE", "WHERE", "{", "}", "(", ")", "?s", "?p", "?o",
    "$x", ".", ";", ",", "FILTER", "OPTIONAL", "UNION", "MINUS", "GRAPH", "VALUES", "BIND",
    "AS", "LIMIT", "OFFSET", "ORDER", "BY", "GROUP", "HAVING", "<urn:a>", '"x"', "'y'",
    '"""z"""', "1", "-2.5e3", "true", "a", "*", "/", "|", "^", "+", "!", "=", "<", ">", "&&",
    "||", "PREFIX", "BASE", "ex:", ":", "_:b", "[", "]", "#", "\\u0000", "\n", "@kk", "^^",
    "SERVICE", "LOAD", "INSERT", "DATA", "DELETE", "FROM", "NAMED", "EXISTS", "NOT", "IN",
]  # fmt: skip

SEEDS = [
    "SELECT ?s ?label WHERE { ?s skos:prefLabel ?label } LIMIT 10",
    "ASK { ?s a ?t }",
    "CONSTRUCT { ?s skos:broader ?o } WHERE { ?s skos:broader ?o } LIMIT 5",
    "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o FILTER(LANG(?o) = 'kk') }",
    "SELECT * WHERE { ?s skos:notation ?n FILTER(REGEX(STR(?n), '^B2')) } ORDER BY ?n LIMIT 3",
]


def generated(rng: random.Random) -> list[Attempt]:
    """Syntax garbage from SPARQL tokens, random bytes, and mutations of valid queries."""
    out = []
    for _ in range(120):
        text = " ".join(rng.choice(TOKENS) for _ in range(rng.randint(1, 40)))
        out.append(Attempt("garbage: tokens", query=text, allowed=ANY_OK))
    for _ in range(40):
        raw = bytes(rng.randrange(256) for _ in range(rng.randint(1, 200)))
        text = raw.decode("utf-8", "replace")
        out.append(Attempt("garbage: bytes", query=text, allowed=FOUR_XX))
    for _ in range(100):
        chars = list(PREFIX + rng.choice(SEEDS))
        for _ in range(rng.randint(1, 6)):
            i = rng.randrange(len(chars))
            action = rng.randrange(3)
            if action == 0:
                del chars[i]
            elif action == 1:
                chars.insert(i, rng.choice("{}()<>\"'?$.;,#\\@^*!|/ \n\x00é"))
            else:
                j = rng.randrange(len(chars))
                chars[i], chars[j] = chars[j], chars[i]
        out.append(Attempt("garbage: mutated", query="".join(chars), allowed=ANY_OK))
    return out


def hand_picked(port: int) -> list[Attempt]:
    out: list[Attempt] = []
    for text in UPDATES:
        update = text.replace("{port}", str(port))
        out.append(bad("update: as query", update, 400, 403))
        out.append(bad("update: as query", update, 400, 403, via="POST-form"))
        out.append(bad("update: as query", update, 400, 403, via="POST-direct"))
        out.append(Attempt("update: update=", params=(("update", update),), allowed={403}))
        out.append(
            Attempt(
                "update: sparql-update body",
                "POST",
                content=update.encode(),
                headers=(("Content-Type", "application/sparql-update"),),
                allowed=frozenset({403}),
            )
        )
        out.append(Attempt("update: update=", "POST", params=(("update", update),), allowed={403}))
    for target in SERVICE_TARGETS:
        for shape in SERVICE_SHAPES:
            text = shape.format(t=target.replace("{port}", str(port)))
            out.append(bad("SERVICE", text, 400, 403))
    for text in SERVICE_VARIABLE:
        out.append(bad("SERVICE", text.replace("{port}", str(port)), 400, 403))
        out.append(bad("SERVICE", text.replace("{port}", str(port)), 400, 403, via="POST-form"))
    url = f"http://127.0.0.1:{port}/sparql"
    for _, template in LEXICAL_CASES:  # texts two lexers could read differently
        text = template.format(url=url)
        allowed = FOUR_XX | frozenset(range(200, 300))
        out.append(Attempt("SERVICE: lexical", query=text, allowed=allowed))
        out.append(Attempt("SERVICE: lexical", "POST", params=(("query", text),), allowed=allowed))
    for text in RUNAWAY:
        out.append(Attempt("runaway", query=text, allowed=frozenset({422, 503})))
    for text in EXPENSIVE:
        out.append(Attempt("expensive", query=text, allowed=EXPENSIVE_OK))
    for size in (1_000, 30_000, 64 * 1024 - 40):
        out.append(Attempt("huge literal", query=huge_literal(size), allowed=ANY_OK - {503}))
    for size in (64 * 1024, 200_000):
        out.append(bad("huge literal", huge_literal(size), 413, via="POST-direct"))
        out.append(bad("huge literal", huge_literal(size), 413, via="POST-form"))
    for kind in ("groups", "parens", "optional", "subselect", "union", "not", "path"):
        for depth in (50, 500, 5_000):
            text = nested(kind, depth)
            if len(text) > 60_000:
                continue
            out.append(
                Attempt(f"nesting: {kind}", "POST", params=(("query", text),), allowed=ANY_OK)
            )
    return out


def http_shapes(port: int) -> list[Attempt]:
    """Wrong content types, odd methods and parameters, and very long URLs."""
    q = "SELECT * WHERE { ?s ?p ?o } LIMIT 1"
    form = ("Content-Type", "application/x-www-form-urlencoded")
    out = [
        Attempt(
            "content type",
            "POST",
            content=q.encode(),
            headers=(("Content-Type", ct),),
            allowed={415},
        )
        for ct in (
            "text/plain",
            "application/json",
            "application/xml",
            "multipart/form-data; boundary=x",
            "application/octet-stream",
            "text/html",
            "application/sparql-results+json",
        )
    ]
    out += [
        Attempt("content type", "POST", content=q.encode(), allowed={415}),
        Attempt("content type", "POST", content=q.encode("utf-16"),
                headers=(("Content-Type", "application/sparql-query; charset=utf-16"),), allowed={415}),
        Attempt("content type", "POST", content=b"query=" + "é".encode("latin-1"),
                headers=(("Content-Type", "application/x-www-form-urlencoded; charset=latin1"),),
                allowed={415}),
        Attempt("content type", "POST", content=b"\xff\xfe\xfd",
                headers=(("Content-Type", "application/sparql-query"),), allowed={400}),
        Attempt("content type", "POST", content=b"query=%ff%fe", headers=(form,), allowed={400}),
        Attempt("content type", "POST", content=b"query=%zz%", headers=(form,), allowed=FOUR_XX | {200}),
        Attempt("content type", "POST", content=b"query=" + b"%41" * 100_000, headers=(form,), allowed={413}),
        Attempt("content type", "POST", content=q.encode(), params=(("query", q),),
                headers=(("Content-Type", "application/sparql-query"),), allowed={400}),
        Attempt("parameters", params=(("query", q), ("query", q)), allowed={400}),
        Attempt("parameters", params=(("query", q), ("default-graph-uri", "not an iri")), allowed={400}),
        Attempt("parameters", params=(("query", q), ("named-graph-uri", "<urn:x>")), allowed={400}),
        Attempt("parameters", params=(("query", ""),), allowed={400}),
        Attempt("parameters", params=(("query", "   \n\t "),), allowed={400}),
        Attempt("parameters", params=(("query", q), ("format", "x" * 5000)), allowed={200}),
        Attempt("parameters", params=(("query", q),), headers=(("Accept", "application/x-nonsense"),),
                allowed={406}),
        Attempt("parameters", params=(("query", q),), headers=(("Accept", "*/*;q=abc, text/*;q=-1"),),
                allowed={200, 406}),
        # an Accept header over --max-accept-bytes (4096) is refused before it is parsed
        Attempt("parameters", params=(("query", q),), headers=(("Accept", "a" * 8000),), allowed={400}),
        Attempt("parameters", params=(("query", q),), headers=(("Accept", "a" * 4000),), allowed={200, 406}),
        Attempt("parameters", raw_target="/sparql?query=%", allowed=FOUR_XX | {200}),
        Attempt("parameters", raw_target="/sparql?query=%C3%28", allowed={400}),
        Attempt("parameters", raw_target="/sparql?%00=%00&query=ASK%7B%7D", allowed={200, 400}),
    ]  # fmt: skip
    for method in ("PUT", "DELETE", "PATCH"):
        out.append(Attempt("method", method, params=(("query", q),), allowed={405}))
    for size in (100_000, 1_000_000, 8_000_000):  # past the 64 KiB query cap
        text = "SELECT * WHERE { ?s ?p ?o } #" + "x" * size
        out.append(Attempt("long URL", raw_target="/sparql?query=" + quote(text), allowed=FOUR_XX))
    for size in (6_000, 30_000):  # long, but a query under the cap
        text = "SELECT * WHERE { ?s ?p ?o } LIMIT 1 #" + "y" * size
        out.append(Attempt("long URL", raw_target="/sparql?query=" + quote(text), allowed={200}))
    return out


# ---------------------------------------------------------------------------- sending


#: Retries of an answer "all query workers are busy" (a client is told to try again).
busy_retries = Counter[str]()


def send(client: httpx.Client, base: str, a: Attempt) -> int:
    """Send one attempt; its status, or 599 for a request the server never answered.

    A 503 "busy" (the other hostile requests hold every worker, or one is being replaced
    after a kill) is retried a bounded number of times, as a client would.
    """
    for _ in range(20):
        status, body = send_once(client, base, a)
        assert "Traceback" not in body and "/work/" not in body, body[:500]
        if status != 503 or "busy" not in body:
            return status
        busy_retries[a.category] += 1
        time.sleep(0.5)
    return status


def send_once(client: httpx.Client, base: str, a: Attempt) -> tuple[int, str]:
    headers = dict(a.headers)
    try:
        if a.raw_target is not None:
            return raw_request(base, a.method, a.raw_target)
        if a.method in ("GET", "PUT", "DELETE", "PATCH") and a.content is None:
            params = list(a.params) + ([("query", a.query)] if a.query is not None else [])
            target = "/sparql?" + urlencode(params)
            if len(target) > 60_000:
                return raw_request(base, a.method, target, headers)
            r = client.request(a.method, f"{base}/sparql", params=params, headers=headers)
        elif a.content is not None:
            r = client.request(
                a.method,
                f"{base}/sparql",
                content=a.content,
                params=list(a.params),
                headers=headers,
            )
        else:
            data = dict(a.params)
            r = client.post(f"{base}/sparql", data=data, headers=headers)
    except httpx.HTTPError:
        return 599, ""
    return r.status_code, r.text


def test_hostile_sparql_requests(fuzz_server: RunningServer, listener: Listener) -> None:
    rng = random.Random(1042)
    attempts = hand_picked(listener.port) + http_shapes(listener.port) + generated(rng)
    assert len(attempts) >= 500

    health_failures: list[str] = []
    health_checks = 0
    done = threading.Event()

    def watch_health() -> None:
        nonlocal health_checks
        with httpx.Client(timeout=5) as client:
            while not done.is_set():
                try:
                    r = client.get(f"{fuzz_server.base_url}/healthz")
                    if r.status_code != 200:
                        health_failures.append(f"status {r.status_code}")
                except httpx.HTTPError as e:
                    health_failures.append(repr(e))
                health_checks += 1
                done.wait(0.2)

    watcher = threading.Thread(target=watch_health)
    watcher.start()
    outcomes: Counter[tuple[str, int]] = Counter()
    unexpected: list[tuple[Attempt, int]] = []
    try:
        with httpx.Client(timeout=30) as client, ThreadPoolExecutor(4) as pool:
            statuses = list(pool.map(lambda a: send(client, fuzz_server.base_url, a), attempts))
    finally:
        done.set()
        watcher.join(10)
    for attempt, status in zip(attempts, statuses, strict=True):
        outcomes[(attempt.category, status)] += 1
        ok = status in attempt.allowed if attempt.allowed else status in ANY_OK
        if not ok:
            unexpected.append((attempt, status))

    by_category: dict[str, Counter[int]] = {}
    for (category, status), n in sorted(outcomes.items()):
        by_category.setdefault(category, Counter())[status] += n
    print(f"\n{len(attempts)} hostile requests, {health_checks} health checks during the run")
    for category, counts in by_category.items():
        shown = ", ".join(f"{status}: {n}" for status, n in sorted(counts.items()))
        print(f"  {category:28} {sum(counts.values()):4}  ({shown})")
    totals = Counter()
    for (_, status), n in outcomes.items():
        totals[status] += n
    print("  by status:", dict(sorted(totals.items())))
    print("  retried after 503 busy:", sum(busy_retries.values()), dict(busy_retries))

    assert not [s for s in statuses if s >= 500 and s != 503], "5xx other than 503"
    assert not unexpected, "\n".join(
        f"{a.category}: {status} for {(a.query or a.raw_target or str(a.params))[:200]!r}"
        for a, status in unexpected[:30]
    )
    assert not health_failures, health_failures[:10]
    assert health_checks >= 5
    time.sleep(0.5)  # a connection attempt would have arrived by now
    assert listener.connections == [], f"the server connected out: {listener.connections}"
    assert "Traceback" not in fuzz_server.log()


def test_listener_would_see_a_connection(listener: Listener) -> None:
    """The no-outbound-connection check can fail: a real connection is counted."""
    before = len(listener.connections)
    with socket.create_connection(("127.0.0.1", listener.port), timeout=5):
        pass
    deadline = time.monotonic() + 5
    while len(listener.connections) == before and time.monotonic() < deadline:
        time.sleep(0.05)
    assert len(listener.connections) == before + 1
    listener.connections.clear()
