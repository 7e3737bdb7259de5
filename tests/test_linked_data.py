"""Dereferenceable URIs over real HTTP: 303 by Accept or _format, documents with Link, ETag,
Cache-Control and 304, 404 with a suggested search, and every format parsed back by rdflib."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from rdflib import RDF, SKOS, Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCTERMS, FOAF, RDFS
from web_fixtures import write_sums

from kg.web.routes import ROUTES, Mode, match

pytest_plugins = ["web_fixtures"]

BASE = "https://reg1042.example.org/"
DCAT = Namespace("http://www.w3.org/ns/dcat#")
VOID = Namespace("http://rdfs.org/ns/void#")
SD = Namespace("http://www.w3.org/ns/sparql-service-description#")
OA = Namespace("http://www.w3.org/ns/oa#")
KG = Namespace("https://reg1042.example.org/def#")
ELI = Namespace("http://data.europa.eu/eli/ontology#")
BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,*/*;q=0.8"
RDFLIB_FORMAT = {"ttl": "turtle", "nt": "nt", "jsonld": "json-ld", "rdf": "xml"}
MEDIA = {
    "html": "text/html",
    "ttl": "text/turtle",
    "nt": "application/n-triples",
    "jsonld": "application/ld+json",
    "rdf": "application/rdf+xml",
}
#: One identifier per kind of resource in the route table (a new kind must be added here).
EXAMPLES = {
    "scheme": "/register",
    "block": "/block/A",
    "tier": "/tier/B2",
    "grade": "/grade/B2-1-H",
    "position": "/position/A1-1.01",
    "institution-type": "/institution-type/ZTMO",
    "significance-level": "/significance-level/republican",
    "sector": "/sector/healthcare",
    "qualification-level": "/qualification-level/high",
    "category": "/category/highest",
    "decision-kind": "/decision-kind/coordination-resolved",
    "expression": "/act/order-2015-1042-consolidated/kaz",
    "act": "/act/order-2015-1042",
    "agent": "/agent/mlsp",
    "decision": "/decision/ED001",
    "quote": "/quote/position/A1-1.01/title",
    "source": "/source/order-1042.kk.txt",
    "catalog": "/catalog",
    "dataset": "/dataset",
    "void": "/void",
    "publisher": "/publisher",
    "vocabulary": "/def",
    "changes": "/changes",
}
#: Kinds whose data another module owns (kg/curate/occupations.py): tested on what the release has.
FROM_THE_DATA = ("occupation", "mapping")
#: Properties that name a thing, in the order a reader would look for them.
NAMES = (SKOS.prefLabel, DCTERMS.title, ELI.title, FOAF.name, RDFS.label)


def iri_of(path: str) -> URIRef:
    return URIRef("https://reg1042.example.org/def" if path == "/def" else BASE + path[1:])


def see_other(web: httpx.Client, path: str, **kwargs: Any) -> str:
    r = web.get(path, **kwargs)
    assert r.status_code == 303, (path, r.status_code, r.text[:300])
    assert "accept" in r.headers["vary"].lower()
    assert "public" in r.headers["cache-control"] and "max-age=" in r.headers["cache-control"]
    return r.headers["location"]


# ---------------------------------------------------------------------------- 303


@pytest.mark.parametrize(
    ("accept", "ext"),
    [
        (None, "html"),
        ("*/*", "html"),
        (BROWSER_ACCEPT, "html"),
        ("text/html", "html"),
        ("text/turtle", "ttl"),
        ("application/n-triples", "nt"),
        ("application/ld+json", "jsonld"),
        ("application/json", "jsonld"),
        ("application/rdf+xml", "rdf"),
        ("text/turtle;q=0.5, application/rdf+xml", "rdf"),
        ("application/ld+json;q=0.9, text/turtle", "ttl"),
    ],
)
def test_identifier_answers_303_to_the_document_accept_prefers(
    web: httpx.Client, accept: str | None, ext: str
) -> None:
    headers = {"Accept": accept} if accept else {}
    location = see_other(web, "/position/A1-1.01", headers=headers)
    assert location == f"/position/A1-1.01.{ext}"


@pytest.mark.parametrize(
    ("value", "ext"),
    [
        ("ttl", "ttl"),
        ("turtle", "ttl"),
        ("application/n-triples", "nt"),
        ("jsonld", "jsonld"),
        ("rdf", "rdf"),
        ("html", "html"),
    ],
)
def test_format_parameter_overrides_accept(web: httpx.Client, value: str, ext: str) -> None:
    accept = "application/rdf+xml" if ext == "html" else "text/html"
    location = see_other(
        web, "/grade/B2-1-H", params={"_format": value}, headers={"Accept": accept}
    )
    assert location == f"/grade/B2-1-H.{ext}"


def test_unknown_format_parameter_is_400_and_unacceptable_accept_is_406(web: httpx.Client) -> None:
    r = web.get("/position/A1-1.01", params={"_format": "pdf"})
    assert r.status_code == 400 and "ttl" in r.text
    r = web.get("/position/A1-1.01", headers={"Accept": "image/png"})
    assert r.status_code == 406 and "text/turtle" in r.text


def test_head_and_other_methods(web: httpx.Client) -> None:
    r = web.head("/position/A1-1.01", headers={"Accept": "text/turtle"})
    assert r.status_code == 303 and r.headers["location"] == "/position/A1-1.01.ttl"
    r = web.head("/position/A1-1.01.ttl")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/turtle")
    r = web.post("/position/A1-1.01", content=b"")
    assert r.status_code == 405 and "GET" in r.headers["allow"]


def test_every_resource_kind_of_the_route_table_has_an_example() -> None:
    kinds = {r.kind for r in ROUTES if r.mode is Mode.RESOURCE}
    missing = kinds - set(EXAMPLES) - set(FROM_THE_DATA)
    assert not missing, f"add an example of {missing} to EXAMPLES"
    for kind, path in EXAMPLES.items():
        found = match(path)
        assert found is not None and found.route.kind == kind and found.ext is None, path


@pytest.mark.parametrize("kind", FROM_THE_DATA)
def test_kinds_of_other_modules_dereference(
    web: httpx.Client, release_graph_nt: Graph, kind: str
) -> None:
    """Kinds whose identifiers come from another module's data: the first one in the release."""
    paths = sorted(
        {
            urlsplit(str(s)).path
            for s in release_graph_nt.subjects()
            if isinstance(s, URIRef) and str(s).startswith(BASE) and "#" not in str(s)
        }
    )
    path = next((p for p in paths if (m := match(p)) and m.route.kind == kind), None)
    assert path is not None, f"the release has no {kind}"
    assert see_other(web, path, headers={"Accept": "text/turtle"}) == path + ".ttl"
    g = Graph().parse(data=web.get(path + ".ttl").content, format="turtle")
    assert (iri_of(path), None, None) in g
    assert web.get(path + ".html").status_code == 200


# ---------------------------------------------------------------------------- documents


def _name_of(g: Graph, subject: URIRef) -> list[Literal]:
    for p in NAMES:
        names = [o for o in g.objects(subject, p) if isinstance(o, Literal)]
        if names:
            return names
    return []


@pytest.mark.parametrize("kind", sorted(EXAMPLES))
def test_each_kind_dereferences_in_every_format(web: httpx.Client, kind: str) -> None:
    path = EXAMPLES[kind]
    subject = iri_of(path)
    graphs = []
    for ext in ("html", "ttl", "nt", "jsonld", "rdf"):
        location = see_other(web, path, headers={"Accept": MEDIA[ext]})
        assert location == f"{path}.{ext}"
        r = web.get(location)
        assert r.status_code == 200, (location, r.text[:300])
        assert r.headers["content-type"].split(";")[0] == MEDIA[ext]
        if ext == "html":
            assert "<html" in r.text and str(subject) in r.text
            continue
        g = Graph().parse(data=r.content, format=RDFLIB_FORMAT[ext])
        assert (subject, None, None) in g, f"{location} does not describe {subject}"
        if kind == "quote":  # a quote is named by its words
            assert any(g.objects(subject, OA.hasSelector / OA.exact)), location
        else:
            assert _name_of(g, subject), f"{location}: {subject} has no label"
        if kind in ("position", "grade", "tier", "block", "institution-type", "sector"):
            assert (subject, SKOS.prefLabel, None) in g
        graphs.append(g)
    first = graphs[0]
    for other in graphs[1:]:
        assert len(other) == len(first), f"{path}: formats disagree on the triples"


def test_position_document_holds_its_quote_selectors_and_linked_labels(web: httpx.Client) -> None:
    r = web.get("/position/A1-1.01.ttl")
    g = Graph().parse(data=r.content, format="turtle")
    pos = URIRef(BASE + "position/A1-1.01")
    assert (pos, SKOS.prefLabel, Literal("ЗТМО басшысы", lang="kk")) in g
    quote = g.value(pos, KG.sourceQuote)
    assert quote is not None
    selectors = set(g.objects(quote, OA.hasSelector))
    assert len(selectors) == 2
    exact = next(s for s in selectors if (s, RDF.type, OA.TextQuoteSelector) in g)
    assert str(g.value(exact, OA.exact)).startswith("ЗТМО; ЕҚРҒЗИ")
    # labels of what it links to, so a client can show the links without more requests
    grade = g.value(pos, KG.grade)
    assert (grade, SKOS.prefLabel, Literal("A1 звеносы, 1-саты", lang="kk")) in g
    it = g.value(pos, KG.institutionType)
    assert (it, SKOS.prefLabel, None) in g
    # but not the whole description of the linked things
    assert (grade, SKOS.narrower, None) not in g


def test_document_headers_link_etag_cache(web: httpx.Client) -> None:
    r = web.get("/position/A1-1.01.ttl")
    assert r.status_code == 200
    links = r.headers["link"]
    for ext in ("html", "nt", "jsonld", "rdf"):
        assert f'</position/A1-1.01.{ext}>; rel="alternate"; type="{MEDIA[ext]}"' in links
    assert "/position/A1-1.01.ttl>" not in links
    assert f'<{BASE}position/A1-1.01>; rel="about"' in links
    etag = r.headers["etag"]
    assert etag.startswith('"') and etag.endswith('"') and not etag.startswith("W/")
    assert "public" in r.headers["cache-control"] and "max-age=" in r.headers["cache-control"]
    again = web.get("/position/A1-1.01.ttl")
    assert again.headers["etag"] == etag and again.content == r.content
    html = web.get("/position/A1-1.01.html")
    assert html.headers["etag"] != etag


@pytest.mark.parametrize("path", ["/position/A1-1.01.ttl", "/position/A1-1.01.html", "/browse"])
def test_if_none_match_gives_304(web: httpx.Client, path: str) -> None:
    first = web.get(path)
    etag = first.headers["etag"]
    for header in (etag, f"W/{etag}", f'"nothing", {etag}', "*"):
        r = web.get(path, headers={"If-None-Match": header})
        assert r.status_code == 304, header
        assert r.content == b"" and r.headers["etag"] == etag
        assert "max-age=" in r.headers["cache-control"]
    r = web.get(path, headers={"If-None-Match": '"another"'})
    assert r.status_code == 200 and r.content == first.content


def test_catalog_void_and_dataset_dereference(web: httpx.Client) -> None:
    assert see_other(web, "/catalog", headers={"Accept": "text/turtle"}) == "/catalog.ttl"
    g = Graph().parse(data=web.get("/catalog.ttl").content, format="turtle")
    assert (URIRef(BASE + "catalog"), RDF.type, DCAT.Catalog) in g
    assert len(set(g.objects(URIRef(BASE + "dataset"), DCAT.distribution))) >= 4
    assert see_other(web, "/void", headers={"Accept": "application/n-triples"}) == "/void.nt"
    g = Graph().parse(data=web.get("/void.nt").content, format="nt")
    assert (URIRef(BASE + "dataset"), RDF.type, VOID.Dataset) in g
    g = Graph().parse(data=web.get("/dataset.jsonld").content, format="json-ld")
    ds = URIRef(BASE + "dataset")
    assert (ds, RDF.type, DCAT.Dataset) in g and (ds, RDF.type, VOID.Dataset) in g


def test_service_description_links_the_catalog_and_void(web: httpx.Client) -> None:
    r = web.get("/sparql", headers={"Accept": "text/turtle"})
    g = Graph().parse(data=r.content, format="turtle")
    seen = {str(o) for o in g.objects(None, RDFS.seeAlso)}
    assert {BASE + "catalog", BASE + "void"} <= seen


# ---------------------------------------------------------------------------- every URI


def test_every_uri_of_the_release_dereferences(web: httpx.Client, release_graph_nt: Graph) -> None:
    """Every subject IRI of register.nt under the base (fragments aside) answers 303 to Turtle,
    and the route table knows each one's path."""
    iris = sorted(
        {str(s).split("#", 1)[0] for s in release_graph_nt.subjects() if isinstance(s, URIRef)}
    )
    ours = [i for i in iris if i.startswith(BASE)]
    assert len(ours) > 1000
    unrouted = [i for i in ours if match(urlsplit(i).path) is None]
    assert not unrouted, unrouted[:10]
    failures = []
    for iri in ours:
        path = urlsplit(iri).path
        found = match(path)
        assert found is not None
        r = web.head(path, headers={"Accept": "text/turtle"})
        if found.route.mode is Mode.FILE:  # e.g. a mapping set named by its download URL
            ok = r.status_code == 200
        else:
            ok = r.status_code == 303 and r.headers.get("location") == path + ".ttl"
        if not ok:
            failures.append((path, r.status_code))
    assert not failures, failures[:10]


# ---------------------------------------------------------------------------- 404


@pytest.mark.parametrize(
    "path", ["/position/Z9-9.99", "/position/Z9-9.99.ttl", "/no/such/Z9-9.99", "/grade/Z9-9.99"]
)
def test_unknown_uri_is_404_suggesting_a_search(web: httpx.Client, path: str) -> None:
    r = web.get(path, headers={"Accept": BROWSER_ACCEPT})
    assert r.status_code == 404 and r.headers["content-type"].startswith("text/html")
    assert 'href="/search?q=Z9-9.99"' in r.text
    r = web.get(path, headers={"Accept": "application/json"})
    assert r.status_code == 404 and r.headers["content-type"].startswith("application/json")
    assert json.loads(r.text)["search"] == "/search?q=Z9-9.99"
    r = web.get(path)
    assert r.status_code == 404 and r.headers["content-type"].startswith("text/plain")
    assert "/search?q=Z9-9.99" in r.text
    r = web.get(path, headers={"Accept": "text/turtle"})
    assert r.status_code == 404


def test_search_suggestion_is_escaped(web: httpx.Client) -> None:
    r = web.get('/position/"><script>x', headers={"Accept": "text/html"})
    assert r.status_code == 404
    assert "<script>x" not in r.text and "&lt;script&gt;x" in r.text


def test_pages_fit_a_smaller_row_cap(launch: Any, web_release: Any) -> None:
    """Page queries stay within 1000 rows, so a deployment may lower the endpoint's cap."""
    small = launch(web_release, ["--workers", "1", "--http-workers", "1", "--row-cap", "1000"])
    with httpx.Client(base_url=small.base_url, timeout=30) as client:
        for path in (
            "/",
            "/browse",
            "/source/order-1042.kk.txt.html",
            "/def.html",
            "/register.html",
        ):
            assert client.get(path).status_code == 200, path


def test_paths_are_answered_whatever_the_base_iri(
    launch: Any, web_release: Any, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """A release published under another base IRI (with a path) is served by path on the
    local host: /position/A1-1.01 is <base>position/A1-1.01, and pages link by path."""
    other = "https://data.example.kz/reg1042/"
    folder = tmp_path_factory.mktemp("other-base")
    for name in ("register.nt", "catalog.ttl", "void.ttl"):
        text = (web_release / name).read_text(encoding="utf-8")
        # the vocabulary namespace stays where it is, whatever the base
        text = text.replace(BASE + "def", "\x00").replace(BASE, other).replace("\x00", BASE + "def")
        (folder / name).write_text(text, encoding="utf-8")
    write_sums(folder)
    server = launch(folder, ["--workers", "1", "--http-workers", "1", "--base-iri", other])
    with httpx.Client(base_url=server.base_url, timeout=30) as client:
        r = client.get("/position/A1-1.01", headers={"Accept": "text/turtle"})
        assert r.status_code == 303 and r.headers["location"] == "/position/A1-1.01.ttl"
        g = Graph().parse(data=client.get("/position/A1-1.01.ttl").content, format="turtle")
        assert (URIRef(other + "position/A1-1.01"), SKOS.prefLabel, None) in g
        assert (URIRef(BASE + "position/A1-1.01"), None, None) not in g
        html = client.get("/position/A1-1.01.html").text
        assert 'href="/grade/A1-1.html"' in html and other + "position/A1-1.01" in html
        assert client.get("/def", headers={"Accept": "text/turtle"}).status_code == 303
        assert client.get("/catalog.ttl").status_code == 200
