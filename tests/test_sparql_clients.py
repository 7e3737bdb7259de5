"""Real SPARQL clients against the running endpoint, and the protocol details they rely on."""

from __future__ import annotations

import csv
import io
import json
import socket
import threading
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.compare import isomorphic
from rdflib.plugins.stores.sparqlstore import SPARQLStore
from SPARQLWrapper import JSON, JSONLD, TURTLE, XML, SPARQLWrapper

SKOS = "http://www.w3.org/2004/02/skos/core#"
KG = "https://reg1042.example.org/def#"
BASE = "https://reg1042.example.org/"
PREFIXES = f"PREFIX skos: <{SKOS}>\nPREFIX kg: <{KG}>\n"
TIERS = (
    PREFIXES + "SELECT ?tier ?code WHERE { ?tier a kg:Tier ; skos:notation ?code } ORDER BY ?code"
)
ASK_A1 = PREFIXES + f"ASK {{ <{BASE}tier/A1> a kg:Tier }}"
CONSTRUCT_BLOCKS = (
    PREFIXES
    + "CONSTRUCT { ?b a kg:Block ; skos:prefLabel ?l } WHERE { ?b a kg:Block ; skos:prefLabel ?l }"
)
CARTESIAN = "SELECT * WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }"


def get(http: httpx.Client, query: str, accept: str | None = None, **params: str) -> httpx.Response:
    headers = {"Accept": accept} if accept else {}
    return http.get("/sparql", params={"query": query, **params}, headers=headers)


# ---------------------------------------------------------------------------- SPARQLWrapper


def wrapper(endpoint: str, query: str, fmt: str, method: str = "GET") -> Any:
    w = SPARQLWrapper(endpoint)
    w.setQuery(query)
    w.setReturnFormat(fmt)
    w.setMethod(method)
    return w.query().convert()


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_sparqlwrapper_select_and_ask(server: Any, method: str) -> None:
    data = wrapper(server.endpoint, TIERS, JSON, method)
    codes = [b["code"]["value"] for b in data["results"]["bindings"]]
    assert "A1" in codes and "D1" in codes and codes == sorted(codes)
    doc = wrapper(server.endpoint, TIERS, XML, method)
    assert len(doc.getElementsByTagName("result")) == len(codes)
    assert wrapper(server.endpoint, ASK_A1, JSON, method)["boolean"] is True
    assert wrapper(server.endpoint, ASK_A1.replace("A1", "Z9"), JSON, method)["boolean"] is False


def test_sparqlwrapper_construct(server: Any) -> None:
    turtle = wrapper(server.endpoint, CONSTRUCT_BLOCKS, TURTLE)
    g = Graph().parse(data=turtle, format="turtle")
    assert (
        URIRef(BASE + "block/A"),
        URIRef(SKOS + "prefLabel"),
        Literal("Block A", lang="en"),
    ) in g
    jsonld = wrapper(server.endpoint, CONSTRUCT_BLOCKS, JSONLD)
    assert len(jsonld) == len(g)  # SPARQLWrapper hands back an rdflib Graph for JSON-LD


# ---------------------------------------------------------------------------- rdflib SPARQLStore


@pytest.mark.parametrize("method", ["GET", "POST", "POST_FORM"])
@pytest.mark.parametrize("return_format", ["xml", "json"])
def test_rdflib_sparqlstore(server: Any, method: str, return_format: str) -> None:
    store = SPARQLStore(query_endpoint=server.endpoint, method=method, returnFormat=return_format)
    rows = list(store.query(TIERS))
    assert len(rows) >= 10 and str(rows[0][1]) == "A1"
    assert store.query(ASK_A1).askAnswer is True
    if return_format == "xml":  # rdflib then accepts RDF/XML too; with "json" only SPARQL JSON
        g = store.query(CONSTRUCT_BLOCKS).graph
        assert len(set(g.subjects())) == 4


def test_rdflib_graph_over_sparqlstore(server: Any) -> None:
    g = Graph(store=SPARQLStore(query_endpoint=server.endpoint))
    labels = set(g.objects(URIRef(BASE + "tier/A1"), URIRef(SKOS + "prefLabel")))
    assert Literal("Tier A1", lang="en") in labels


# ---------------------------------------------------------------------------- formats and headers


def test_default_formats(http: httpx.Client) -> None:
    for accept in (None, "*/*"):
        assert get(http, TIERS, accept).headers["content-type"] == "application/sparql-results+json"
        assert (
            get(http, ASK_A1, accept).headers["content-type"] == "application/sparql-results+json"
        )
        r = get(http, CONSTRUCT_BLOCKS, accept)
        assert r.headers["content-type"] == "text/turtle; charset=utf-8"
        assert len(Graph().parse(data=r.content, format="turtle")) == 12


def test_every_offered_format(http: httpx.Client) -> None:
    r = get(http, TIERS, "application/sparql-results+xml")
    assert r.headers["content-type"] == "application/sparql-results+xml"
    assert ET.fromstring(r.content).tag == "{http://www.w3.org/2005/sparql-results#}sparql"
    r = get(http, TIERS, "text/csv")
    assert r.headers["content-type"] == "text/csv; charset=utf-8"
    rows = list(csv.reader(io.StringIO(r.text)))
    assert rows[0] == ["tier", "code"] and rows[1] == [BASE + "tier/A1", "A1"]
    r = get(http, TIERS, "text/tab-separated-values")
    assert r.headers["content-type"] == "text/tab-separated-values; charset=utf-8"
    assert r.text.splitlines()[0] == "?tier\t?code"
    r = get(http, ASK_A1, "application/sparql-results+xml")
    assert b"<boolean>true</boolean>" in r.content
    graphs = {}
    for accept, fmt in (
        ("application/n-triples", "nt"),
        ("application/ld+json", "json-ld"),
        ("application/rdf+xml", "xml"),
    ):
        r = get(http, CONSTRUCT_BLOCKS, accept)
        assert r.status_code == 200 and r.headers["content-type"] == accept
        graphs[fmt] = Graph().parse(data=r.content, format=fmt)
    assert len(graphs["nt"]) == 12
    # the same 12 triples whatever the syntax (rdflib parses our JSON-LD and RDF/XML)
    assert isomorphic(graphs["json-ld"], graphs["nt"]) and isomorphic(graphs["xml"], graphs["nt"])
    assert len(json.loads(get(http, CONSTRUCT_BLOCKS, "application/ld+json").content)) > 0


def test_q_values_and_aliases(http: httpx.Client) -> None:
    accept = "application/sparql-results+json;q=0.5, text/csv;q=0.9, */*;q=0.1"
    assert get(http, TIERS, accept).headers["content-type"].startswith("text/csv")
    assert (
        get(http, TIERS, "application/json").headers["content-type"]
        == "application/sparql-results+json"
    )
    assert (
        get(http, TIERS, "application/xml").headers["content-type"]
        == "application/sparql-results+xml"
    )
    assert get(http, CONSTRUCT_BLOCKS, "text/*").headers["content-type"].startswith("text/turtle")
    r = get(http, TIERS, "text/csv", format="json")  # the format parameter overrides Accept
    assert r.headers["content-type"] == "application/sparql-results+json"
    r = get(http, TIERS, "text/csv", output="xml")
    assert r.headers["content-type"] == "application/sparql-results+xml"
    r = get(http, TIERS, "text/csv", format="nonsense")  # unknown values are ignored
    assert r.headers["content-type"].startswith("text/csv")


def test_406_for_unacceptable_accept(http: httpx.Client) -> None:
    for query in (TIERS, ASK_A1, CONSTRUCT_BLOCKS):
        r = get(http, query, "image/png")
        assert r.status_code == 406 and "offered" in r.text
    assert get(http, CONSTRUCT_BLOCKS, "text/csv").status_code == 406
    assert get(http, TIERS, "application/sparql-results+json;q=0, text/plain").status_code == 406
    assert http.get("/sparql", headers={"Accept": "image/png"}).status_code == 406


def test_cors_and_vary_headers(http: httpx.Client) -> None:
    for r in (
        get(http, TIERS),
        http.post("/sparql", content=ASK_A1, headers={"Content-Type": "application/sparql-query"}),
        get(http, "ASK {"),
        http.get("/sparql"),
    ):
        assert r.headers["access-control-allow-origin"] == "*"
        assert "Accept" in r.headers["vary"]
    pre = http.options(
        "/sparql",
        headers={
            "Origin": "https://example.net",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type",
        },
    )
    assert pre.status_code == 204
    assert pre.headers["access-control-allow-origin"] == "*"
    assert {"GET", "POST"} <= {
        m.strip() for m in pre.headers["access-control-allow-methods"].split(",")
    }
    assert "content-type" in pre.headers["access-control-allow-headers"].lower()


# ---------------------------------------------------------------------------- bad input is 4xx


def test_malformed_query_is_400_with_the_parser_message(http: httpx.Client) -> None:
    r = get(http, "SELECT * WHERE { ?s ?p }")
    assert r.status_code == 400
    assert r.headers["content-type"].startswith("text/plain")
    # one line with line and column, not the parser's list of grammar ranges
    assert "malformed query" in r.text and "line 1, column" in r.text
    assert len(r.text.strip().splitlines()) == 1


@pytest.mark.parametrize(
    "request_args",
    [
        {"method": "GET", "url": "/sparql?query=ASK%20%7B%7D&query=ASK%20%7B%7D"},
        {"method": "GET", "url": "/sparql?query=%FF%FE"},
        {
            "method": "POST",
            "url": "/sparql",
            "content": "ASK {}",
            "headers": {"Content-Type": "text/plain"},
        },
        {"method": "POST", "url": "/sparql", "content": "ASK {}"},
        {
            "method": "POST",
            "url": "/sparql",
            "content": "ASK {}".encode("utf-16"),
            "headers": {"Content-Type": "application/sparql-query; charset=utf-16"},
        },
        {
            "method": "POST",
            "url": "/sparql",
            "content": b"ASK {\xff}",
            "headers": {"Content-Type": "application/sparql-query"},
        },
        {
            "method": "POST",
            "url": "/sparql",
            "content": "format=json",
            "headers": {"Content-Type": "application/x-www-form-urlencoded"},
        },
        {"method": "PUT", "url": "/sparql?query=ASK%20%7B%7D"},
        {"method": "DELETE", "url": "/sparql"},
    ],
    ids=[
        "two-queries",
        "bad-utf8",
        "text-plain",
        "no-content-type",
        "utf16",
        "bad-utf8-body",
        "form-without-query",
        "put",
        "delete",
    ],
)
def test_bad_requests_are_4xx(http: httpx.Client, request_args: dict[str, Any]) -> None:
    r = http.request(**request_args)
    assert 400 <= r.status_code < 500, (r.status_code, r.text)
    assert r.text.strip()


@pytest.mark.parametrize(
    "update",
    [
        "INSERT DATA { <urn:a> <urn:b> <urn:c> }",
        "delete where { ?s ?p ?o }",
        "LOAD <http://127.0.0.1:9/data.ttl>",
        "CLEAR ALL",
        "# a comment first\nDROP GRAPH <urn:g>",
        "CREATE GRAPH <urn:g>",
        "ADD DEFAULT TO <urn:g>",
        "MOVE DEFAULT TO <urn:g>",
        "COPY DEFAULT TO <urn:g>",
        "PREFIX ex: <urn:ex:>\n"
        "WITH <urn:g> DELETE { ?s ex:p ?o } INSERT { ?s ex:q ?o } WHERE { ?s ex:p ?o }",
    ],
)
def test_updates_are_refused(http: httpx.Client, update: str) -> None:
    as_query = get(http, update)
    assert as_query.status_code == 403 and "read-only" in as_query.text
    direct = http.post(
        "/sparql", content=update, headers={"Content-Type": "application/sparql-update"}
    )
    assert direct.status_code == 403
    form = http.post("/sparql", data={"update": update})
    assert form.status_code == 403
    assert get(http, "ASK { ?s ?p ?o }").json()["boolean"] is True  # the data is still there


@pytest.fixture
def listener() -> Iterator[tuple[int, list[str]]]:
    """A loopback port that records every connection made to it."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(8)
    sock.settimeout(0.2)
    seen: list[str] = []
    stop = threading.Event()

    def accept() -> None:
        while not stop.is_set():
            try:
                conn, _ = sock.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            seen.append("connection")
            conn.close()

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield sock.getsockname()[1], seen
    stop.set()
    thread.join(2)
    sock.close()


@pytest.mark.parametrize(
    "template",
    [
        "SELECT * WHERE {{ SERVICE <http://127.0.0.1:{port}/sparql> {{ ?s ?p ?o }} }}",
        "ASK {{ sErViCe SILENT <http://127.0.0.1:{port}/sparql> {{ ?s ?p ?o }} }}",
        "# SERVICE in a comment does not hide the real one\n"
        "SELECT * WHERE {{ OPTIONAL {{ Service <http://127.0.0.1:{port}/> {{ ?s ?p ?o }} }} }}",
        "ASK {{ FILTER EXISTS {{ SERVICE <http://127.0.0.1:{port}/> {{ ?s ?p ?o }} }} }}",
        "CONSTRUCT {{ ?s ?p ?o }} WHERE {{ {{ SELECT * WHERE {{ "
        "SERVICE <http://127.0.0.1:{port}/> {{ ?s ?p ?o }} }} }} }}",
        "SELECT * WHERE {{ BIND(<http://127.0.0.1:{port}/> AS ?e) SERVICE ?e {{ ?s ?p ?o }} }}",
    ],
)
def test_service_is_refused_without_any_connection(
    http: httpx.Client, listener: tuple[int, list[str]], template: str
) -> None:
    port, seen = listener
    r = get(http, template.format(port=port))
    assert r.status_code == 403 and "SERVICE" in r.text
    r = http.post(
        "/sparql",
        content=template.format(port=port),
        headers={"Content-Type": "application/sparql-query"},
    )
    assert r.status_code == 403
    threading.Event().wait(0.5)  # give a stray connection time to show up
    assert seen == []


def test_the_word_service_elsewhere_is_fine(http: httpx.Client) -> None:
    r = get(
        http, 'PREFIX service: <urn:service:>\nSELECT * WHERE { ?s service:p "SERVICE" } # SERVICE'
    )
    assert r.status_code == 200 and r.json()["results"]["bindings"] == []


def test_query_size_cap(http: httpx.Client) -> None:
    cap = 64 * 1024
    head = "ASK {}\n# "
    fits = head + "x" * (cap - len(head) - 10)
    r = http.post("/sparql", content=fits, headers={"Content-Type": "application/sparql-query"})
    assert r.status_code == 200
    too_big = head + "x" * cap
    r = http.post("/sparql", content=too_big, headers={"Content-Type": "application/sparql-query"})
    assert r.status_code == 413 and "limit" in r.text
    r = http.post("/sparql", data={"query": too_big})
    assert r.status_code == 413


def test_row_cap_is_an_error_not_a_truncation(http: httpx.Client) -> None:
    r = get(http, CARTESIAN)
    assert r.status_code == 422 and "10000 rows" in r.text and "LIMIT" in r.text
    r = get(http, "CONSTRUCT { ?a ?b ?d } WHERE { ?a ?b ?c . ?d ?e ?f }")
    assert r.status_code == 422 and "triples" in r.text
    r = get(http, CARTESIAN + " LIMIT 10000", "text/tab-separated-values")
    assert r.status_code == 200 and len(r.text.splitlines()) == 10_001


def test_identical_requests_get_identical_bytes_from_the_cache(http: httpx.Client) -> None:
    query = TIERS + " # cache probe"
    first = get(http, query)
    hits = http.get("/healthz").json()["cache_hits"]
    second = get(http, query)
    assert first.content == second.content
    assert http.get("/healthz").json()["cache_hits"] == hits + 1
    assert get(http, query, "text/csv").content != first.content  # keyed on media type too


# ---------------------------------------------------------------------------- the human page


def test_query_page_for_browsers(http: httpx.Client) -> None:
    browser = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
    r = http.get("/en/sparql", headers={"Accept": browser})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    assert '<form method="get" action="/en/sparql">' in r.text and "<textarea" in r.text
    assert "Example queries" in r.text and "PREFIX skos:" in r.text


def test_query_page_runs_the_examples(http: httpx.Client) -> None:
    page = http.get("/en/sparql", params={"format": "html"}).text
    links = [a.split('"')[0].replace("&amp;", "&") for a in page.split('<a href="')[1:]]
    runs = [link for link in links if link.startswith("/en/sparql?query=")]
    assert len(runs) >= 5
    for link in runs:
        r = http.get(link)
        assert r.status_code == 200, (link, r.text[:500])
        assert '<table class="results">' in r.text or "Answer:" in r.text
        assert "format=csv" in r.text or "format=turtle" in r.text or "format=json" in r.text
    tier_a1 = http.get(runs[0]).text
    assert "A1-1.01" in tier_a1 and "ЗТМО басшысы" in tier_a1


def test_query_page_shows_errors_with_their_status(http: httpx.Client) -> None:
    r = get(http, "SELECT * WHERE {", format="html")
    assert r.status_code == 400 and "malformed query" in r.text and "<form" in r.text


def test_healthz(http: httpx.Client) -> None:
    body = http.get("/healthz").json()
    assert body["status"] == "ok" and body["workers"] == 2
