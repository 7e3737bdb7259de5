"""The W3C SPARQL 1.1 Protocol and Service Description test manifests, replayed over HTTP.

The protocol suite's data files are loaded as named graphs (named after each test's
rdfs:label) into a second server. A read-only endpoint passes 27 of the 34 protocol tests; the
7 update tests must get a 4xx instead of the 2xx they expect.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from pyshacl import validate
from rdflib import RDF, Graph, Literal, Namespace, URIRef
from rdflib.collection import Collection
from rdflib.compare import isomorphic


def find_shared(relative: str) -> Path:
    """`shared/<relative>`, found walking up from this file (CI puts shared/ beside the clone)."""
    for parent in Path(__file__).resolve().parents:
        if (parent / "shared" / relative).exists():
            return parent / "shared" / relative
    raise FileNotFoundError(f"shared/{relative} not found above {Path(__file__).parent}")


SUITE = find_shared("conformance/sparql11-protocol")
MF = Namespace("http://www.w3.org/2001/sw/DataAccess/tests/test-manifest#")
HT = Namespace("http://www.w3.org/2011/http#")
CNT = Namespace("http://www.w3.org/2011/content#")
UT = Namespace("http://www.w3.org/2009/sparql/tests/test-update#")
HTS = "http://www.w3.org/2011/http-statusCodes#StatusCode"
SD = Namespace("http://www.w3.org/ns/sparql-service-description#")
RDFS_LABEL = URIRef("http://www.w3.org/2000/01/rdf-schema#label")

BOOLEAN_TYPES = {"application/sparql-results+json", "application/sparql-results+xml"}
TABULAR_TYPES = BOOLEAN_TYPES | {"text/csv", "text/tab-separated-values"}
RDF_TYPES = {"application/rdf+xml", "text/turtle", "application/n-triples", "application/xhtml+xml"}


@dataclass
class ProtocolRequest:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes | None
    statuses: set[str]  # "2xx", "3xx", "4xx"
    expected_format: str | None
    expected_boolean: bool | None


@dataclass
class ProtocolTest:
    name: str
    requests: list[ProtocolRequest] = field(default_factory=list)

    @property
    def is_update(self) -> bool:
        return self.name.startswith("update_")


def load_manifest() -> tuple[list[ProtocolTest], dict[str, Path]]:
    """The tests in manifest order, and the named graphs their data needs ({IRI: file})."""
    g = Graph()
    base = (SUITE / "manifest.ttl").as_uri()
    g.parse(SUITE / "manifest.ttl", format="turtle", publicID=base)
    graphs: dict[str, Path] = {}
    for data in g.objects(None, UT.graphData):
        graphs[str(g.value(data, RDFS_LABEL))] = Path(
            str(g.value(data, UT.graph)).removeprefix("file://")
        )
    tests = []
    for entry in Collection(g, g.value(URIRef(base), MF.entries)):
        test = ProtocolTest(str(entry).rsplit("#", 1)[1])
        action = g.value(entry, MF.action)
        for req in Collection(g, g.value(action, HT.requests)):
            headers = {}
            if (hl := g.value(req, HT.headers)) is not None:
                for h in Collection(g, hl):
                    headers[str(g.value(h, HT.fieldName))] = str(g.value(h, HT.fieldValue))
            body = None
            if (b := g.value(req, HT.body)) is not None:
                encoding = str(g.value(b, CNT.characterEncoding) or "UTF-8")
                body = str(g.value(b, CNT.chars)).encode(encoding)
            resp = g.value(req, HT.resp)
            fmt, boolean = g.value(resp, MF.expectedFormat), g.value(resp, MF.expectedBoolean)
            test.requests.append(
                ProtocolRequest(
                    method=str(g.value(req, HT.methodName)),
                    # "replace /sparql/ with whatever path prefix is appropriate for the endpoint"
                    path="/sparql" + str(g.value(req, HT.absolutePath)).removeprefix("/sparql/"),
                    headers=headers,
                    body=body,
                    statuses={str(s).removeprefix(HTS) for s in g.objects(resp, MF.expectedStatus)},
                    expected_format=str(fmt) if fmt is not None else None,
                    expected_boolean=bool(boolean.toPython())
                    if isinstance(boolean, Literal)
                    else None,
                )
            )
        tests.append(test)
    return tests, graphs


TESTS, NAMED_GRAPHS = load_manifest()


def check(response: httpx.Response, expected: ProtocolRequest) -> str | None:
    """Why `response` fails the manifest's expectation, or None when it passes."""
    status_class = f"{response.status_code // 100}xx"
    if status_class not in expected.statuses:
        wanted = sorted(expected.statuses)
        return f"status {response.status_code}, expected {wanted}: {response.text[:300]}"
    media = response.headers.get("content-type", "").split(";")[0].strip()
    if expected.expected_format == "boolean" and media not in BOOLEAN_TYPES:
        return f"content type {media} is not a boolean result format"
    if expected.expected_format == "tabular" and media not in TABULAR_TYPES:
        return f"content type {media} is not a tabular result format"
    if expected.expected_format == "RDF":
        if media not in RDF_TYPES:
            return f"content type {media} is not an RDF format"
        Graph().parse(data=response.content, format={"text/turtle": "turtle"}.get(media, "nt"))
    if expected.expected_boolean is not None:
        if media == "application/sparql-results+json":
            value = json.loads(response.content)["boolean"]
        else:
            value = b"<boolean>true</boolean>" in response.content
        if value is not expected.expected_boolean:
            return f"boolean {value}, expected {expected.expected_boolean}"
    return None


def run_test(client: httpx.Client, test: ProtocolTest) -> list[str | None]:
    """Each request's verdict in order (a test stops at its first failing request)."""
    verdicts: list[str | None] = []
    for req in test.requests:
        response = client.request(req.method, req.path, headers=req.headers, content=req.body)
        verdicts.append(check(response, req))
        if verdicts[-1] is not None:
            break
    return verdicts


@pytest.fixture(scope="module")
def suite_server(launch: Callable[..., Any], fixture_release: Path) -> Any:
    """A second server: the fixture release plus the suite's data files as named graphs."""
    args = []
    for iri, path in NAMED_GRAPHS.items():
        args += ["--named-graph", f"{iri}={path}"]
    return launch(fixture_release, args)


@pytest.fixture(scope="module")
def client(suite_server: Any) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=suite_server.base_url, timeout=30) as c:
        yield c


def test_manifest_is_the_expected_one() -> None:
    assert len(TESTS) == 34
    assert sum(t.is_update for t in TESTS) == 7
    assert len(NAMED_GRAPHS) == 3 and all(p.is_file() for p in NAMED_GRAPHS.values())


@pytest.mark.parametrize("test", TESTS, ids=[t.name for t in TESTS])
def test_protocol(client: httpx.Client, test: ProtocolTest) -> None:
    if test.is_update:
        first = test.requests[0]
        response = client.request(
            first.method, first.path, headers=first.headers, content=first.body
        )
        assert 400 <= response.status_code < 500, (response.status_code, response.text)
        return
    failures = [v for v in run_test(client, test) if v is not None]
    assert not failures, failures


def test_tally_is_27_of_34_with_updates_refused(client: httpx.Client) -> None:
    """Scored by the manifest's own expectations, as a conformance report would."""
    passed = [t.name for t in TESTS if all(v is None for v in run_test(client, t))]
    failed = [t for t in TESTS if t.name not in passed]
    assert len(passed) == 27, passed
    assert [t.name for t in failed] == [t.name for t in TESTS if t.is_update]


def test_dataset_parameters_select_the_named_graphs(client: httpx.Client) -> None:
    """Beyond the manifest: default-graph-uri builds the default graph from exactly those graphs."""
    ask = "ASK { <http://kasei.us/2009/09/sparql/data/data3.rdf> a ?t }"
    only1 = {"default-graph-uri": "http://kasei.us/2009/09/sparql/data/data1.rdf"}
    assert client.get("/sparql", params={"query": ask, **only1}).json()["boolean"] is False
    only3 = {"default-graph-uri": "http://kasei.us/2009/09/sparql/data/data3.rdf"}
    assert client.get("/sparql", params={"query": ask, **only3}).json()["boolean"] is True
    # without protocol parameters the default graph is the register itself
    assert client.get("/sparql", params={"query": ask}).json()["boolean"] is False
    count = "SELECT (COUNT(DISTINCT ?g) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }"
    rows = client.get("/sparql", params={"query": count}).json()["results"]["bindings"]
    assert rows[0]["n"]["value"] == "3"
    named = {"named-graph-uri": "http://kasei.us/2009/09/sparql/data/data2.rdf"}
    rows = client.get("/sparql", params={"query": count, **named}).json()["results"]["bindings"]
    assert rows[0]["n"]["value"] == "1"


def test_bad_graph_iri_is_400(client: httpx.Client) -> None:
    r = client.get("/sparql", params={"query": "ASK {}", "default-graph-uri": "not an iri"})
    assert r.status_code == 400 and "not an IRI" in r.text


# ---------------------------------------------------------------------------- service description

SD_SHAPES = """
@prefix sh: <http://www.w3.org/ns/shacl#> .
@prefix sd: <http://www.w3.org/ns/sparql-service-description#> .
@prefix void: <http://rdfs.org/ns/void#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
@prefix ex: <urn:test:sd-shapes#> .

ex:Service a sh:NodeShape ; sh:targetClass sd:Service ;
  sh:property [ sh:path sd:endpoint ; sh:minCount 1 ; sh:nodeKind sh:IRI ] ;
  sh:property [ sh:path sd:supportedLanguage ; sh:minCount 1 ;
                sh:in ( sd:SPARQL10Query sd:SPARQL11Query sd:SPARQL11Update ) ] ;
  sh:property [ sh:path sd:resultFormat ; sh:nodeKind sh:IRI ] ;
  sh:property [ sh:path sd:feature ; sh:class sd:Feature ] ;
  sh:property [ sh:path sd:defaultEntailmentRegime ; sh:nodeKind sh:IRI ] ;
  sh:property [ sh:path sd:defaultDataset ; sh:class sd:Dataset ; sh:maxCount 1 ] .
ex:Dataset a sh:NodeShape ; sh:targetClass sd:Dataset ;
  sh:property [ sh:path sd:defaultGraph ; sh:class sd:Graph ; sh:maxCount 1 ] ;
  sh:property [ sh:path sd:namedGraph ; sh:class sd:NamedGraph ] .
ex:NamedGraph a sh:NodeShape ; sh:targetClass sd:NamedGraph ;
  sh:property [ sh:path sd:name ; sh:minCount 1 ; sh:maxCount 1 ; sh:nodeKind sh:IRI ] ;
  sh:property [ sh:path sd:graph ; sh:class sd:Graph ; sh:maxCount 1 ] .
ex:Graph a sh:NodeShape ; sh:targetClass sd:Graph ;
  sh:property [ sh:path void:triples ; sh:datatype xsd:integer ; sh:maxCount 1 ] .
"""


def _description(client: httpx.Client, accept: str | None = None) -> tuple[httpx.Response, Graph]:
    headers = {"Accept": accept} if accept else {}
    r = client.get("/sparql", headers=headers)
    media = r.headers["content-type"].split(";")[0]
    fmt = {"text/turtle": "turtle", "application/n-triples": "nt"}[media]
    return r, Graph().parse(data=r.content, format=fmt)


def test_sd_returns_rdf(client: httpx.Client) -> None:
    r, g = _description(client)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/turtle")
    assert len(g) > 10
    r, g2 = _description(client, "application/n-triples")
    assert r.headers["content-type"] == "application/n-triples" and len(g2) == len(g)
    for accept, fmt in (("application/ld+json", "json-ld"), ("application/rdf+xml", "xml")):
        r = client.get("/sparql", headers={"Accept": accept})
        assert r.status_code == 200 and r.headers["content-type"] == accept
        # the same description in another syntax, not only its media type
        assert isomorphic(Graph().parse(data=r.content, format=fmt), g), accept


def test_sd_has_endpoint_triple(client: httpx.Client, suite_server: Any) -> None:
    _, g = _description(client)
    assert (None, SD.endpoint, URIRef(suite_server.endpoint)) in g
    service = g.value(predicate=SD.endpoint, object=URIRef(suite_server.endpoint))
    assert (service, RDF.type, SD.Service) in g


def test_sd_conforms_to_schema(client: httpx.Client) -> None:
    _, g = _description(client)
    shapes = Graph().parse(data=SD_SHAPES, format="turtle")
    conforms, _, report = validate(g, shacl_graph=shapes)
    assert conforms, report
    assert (None, SD.supportedLanguage, SD.SPARQL11Query) in g
    named = {str(o) for o in g.objects(None, SD.name)}
    assert named == set(NAMED_GRAPHS)


def test_sd_states_the_limits(client: httpx.Client) -> None:
    _, g = _description(client)
    values = {
        p.split("#")[-1]: o.toPython()
        for _, p, o in g
        if str(p).endswith(("Limit",)) and isinstance(o, Literal)
    }
    assert values["queryTimeLimit"] == 5 and values["resultRowLimit"] == 10_000
    assert values["querySizeLimit"] == 64 * 1024
