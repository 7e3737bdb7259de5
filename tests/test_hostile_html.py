"""Labels with markup and script are shown as text everywhere.

A fixture release: the real release with hostile text injected into its graph after the
build (labels of a position, a grade and an institution type; a decision's texts; a
`javascript:` IRI), its SHA256SUMS updated so the server accepts it. A crawler then fetches
every HTML page reachable from the home page (bounded), plus search results, reconciliation
previews, the SPARQL page and error pages, and checks each: no script element but the
known ones, no event-handler attribute, no `javascript:` URL, every inline block allowed by
its CSP hash, and JSON-LD blocks that parse as JSON.
"""

from __future__ import annotations

import json
import re
import shutil
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote, urlsplit

import httpx
import pyoxigraph as ox
import pytest
from conftest import RunningServer, start_server, stop_server
from hostile_support import csp_hash, scan

from kg.release.folder import sha256sums
from kg.uris import KG, Uris

pytest_plugins = ["search_fixtures"]  # `search_release`: the real release, built once a session

pytestmark = pytest.mark.slow

BASE = Uris().base
SKOS = "http://www.w3.org/2004/02/skos/core#"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"
POSITION = f"{BASE}position/B2-1-H.01"
GRADE = f"{BASE}grade/B2-1-H"

#: Each payload carries a marker, so a test can tell which one survived where.
PAYLOADS = {
    "p1": "<script>alert('p1')</script>",
    "p2": '"><img src=x onerror=alert("p2")>',
    "p3": "'><svg onload=alert('p3')>",
    "p4": "</script><script>alert('p4')</script>",
    "p5": "</textarea></title><iframe src=javascript:alert('p5')>",
    "p6": "{{ 7*7 }} {% raw %}p6 &lt;b&gt;",
}
#: Fragments that must never appear in a page as markup (escaped, they read "&lt;img ...").
LIVE = ("<script>alert", "<img src=x", "<svg onload", "<iframe")


def lit(text: str, lang: str | None = "kk") -> ox.Literal:
    return ox.Literal(text, language=lang) if lang else ox.Literal(text)


def poisoned(release: Path, dest: Path) -> list[str]:
    """Copy `release` to `dest` with the payloads in its graph (and matching SHA256SUMS);
    the site paths of the poisoned resources."""
    shutil.copytree(release.resolve(), dest)
    triples = [
        q.triple for q in ox.parse(path=str(dest / "register.nt"), format=ox.RdfFormat.N_TRIPLES)
    ]
    pref, alt = ox.NamedNode(SKOS + "prefLabel"), ox.NamedNode(SKOS + "altLabel")
    position, grade = ox.NamedNode(POSITION), ox.NamedNode(GRADE)
    institution = next(
        t.subject
        for t in triples
        if t.predicate.value.endswith("#type") and t.object.value == f"{KG}InstitutionType"
    )
    decision = next(
        t.subject
        for t in triples
        if t.predicate.value.endswith("#type") and t.object.value == f"{KG}EditorialDecision"
    )
    relabelled = {position, grade, institution}
    kept = [t for t in triples if not (t.subject in relabelled and t.predicate == pref)]
    added = [
        ox.Triple(position, pref, lit(PAYLOADS["p1"], "kk")),
        ox.Triple(position, pref, lit(PAYLOADS["p2"], "ru")),
        ox.Triple(position, pref, lit(PAYLOADS["p3"], "en")),
        ox.Triple(position, alt, lit(PAYLOADS["p4"], "kk")),
        ox.Triple(position, ox.NamedNode(SKOS + "definition"), lit(PAYLOADS["p5"], "en")),
        ox.Triple(position, ox.NamedNode(RDFS + "seeAlso"), ox.NamedNode("javascript:alert('p7')")),
        ox.Triple(grade, pref, lit(PAYLOADS["p2"], "kk")),
        ox.Triple(grade, pref, lit(PAYLOADS["p6"], "en")),
        ox.Triple(institution, pref, lit(PAYLOADS["p4"], "kk")),
        ox.Triple(institution, pref, lit(PAYLOADS["p1"], "en")),
        ox.Triple(decision, ox.NamedNode(f"{KG}lawSays"), lit(PAYLOADS["p5"], "kk")),
        ox.Triple(decision, ox.NamedNode(RDFS + "comment"), lit(PAYLOADS["p3"], "en")),
    ]
    data = "".join(f"{t} .\n" for t in kept + added).encode()
    (dest / "register.nt").write_bytes(data)
    files = {
        p.name: p.read_bytes() for p in dest.iterdir() if p.is_file() and p.name != "SHA256SUMS"
    }
    (dest / "SHA256SUMS").write_bytes(sha256sums(files))
    return ["/" + n.value.removeprefix(BASE) for n in (position, grade, institution, decision)]


@pytest.fixture(scope="module")
def hostile(
    search_release: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[RunningServer]:
    folder = tmp_path_factory.mktemp("hostile")
    paths = poisoned(search_release, folder / "release")
    server = start_server(folder / "release", folder, ["--workers", "1", "--http-workers", "1"])
    server.poisoned = paths  # type: ignore[attr-defined]
    yield server
    stop_server(server)


def check_page(url: str, response: httpx.Response) -> list[str]:
    """Problems with one HTML response (empty when it is safe)."""
    problems = []
    body = response.text
    for live in LIVE:
        if live in body:
            problems.append(f"{url}: {live!r} in the markup")
    page = scan(body)
    problems += [f"{url}: event handler {h}" for h in page.handlers]
    problems += [f"{url}: script URL {u}" for u in page.script_urls]
    csp = response.headers.get("content-security-policy", "")
    if "default-src 'none'" not in csp or "'unsafe-inline'" in csp:
        problems.append(f"{url}: weak or missing CSP {csp!r}")
    for attrs, text in page.scripts:
        kind = (attrs.get("type") or "").lower()
        if kind == "application/ld+json":
            try:
                json.loads(text)
            except ValueError:
                problems.append(f"{url}: a JSON-LD block that is not JSON: {text[:100]!r}")
        elif attrs.get("src"):
            if not str(attrs["src"]).startswith("/"):
                problems.append(f"{url}: a script from elsewhere: {attrs['src']!r}")
        elif csp_hash(text) not in csp:
            problems.append(f"{url}: an inline script without its hash in the CSP")
    for text in page.styles:
        if csp_hash(text) not in csp:
            problems.append(f"{url}: an inline style without its hash in the CSP")
    return problems


def crawl(server: RunningServer, limit: int = 250, per_kind: int = 6) -> dict[str, httpx.Response]:
    """HTML pages reachable from / (same site), at most `per_kind` per first path segment."""
    seen: dict[str, httpx.Response] = {}
    queue = ["/", "/browse", "/downloads/", *server.poisoned]  # type: ignore[attr-defined]
    kinds: Counter[str] = Counter()
    with httpx.Client(base_url=server.base_url, timeout=30, follow_redirects=True) as client:
        while queue and len(seen) < limit:
            path = queue.pop(0)
            if path in seen:
                continue
            r = client.get(path, headers={"Accept": "text/html"})
            seen[path] = r
            if not r.headers.get("content-type", "").startswith("text/html"):
                continue
            for href in scan(r.text).links:
                parts = urlsplit(href)
                if parts.scheme or parts.netloc or not parts.path.startswith("/"):
                    continue
                target = parts.path + (f"?{parts.query}" if parts.query else "")
                kind = parts.path.strip("/").split("/")[0]
                if target in seen or target in queue or kinds[kind] >= per_kind:
                    continue
                if kind in ("downloads", "static", "sparql") and target != "/downloads/":
                    continue  # files and the query page are checked apart
                kinds[kind] += 1
                queue.append(target)
    return seen


def test_every_crawled_page_shows_hostile_text_as_text(hostile: RunningServer) -> None:
    pages = crawl(hostile)
    html = {
        p: r for p, r in pages.items() if r.headers.get("content-type", "").startswith("text/html")
    }
    kinds = Counter(p.strip("/").split("/")[0] or "home" for p in html)
    print(f"\ncrawled {len(html)} HTML pages: {dict(sorted(kinds.items()))}")
    assert len(html) >= 30 and len(kinds) >= 8, kinds
    assert all(r.status_code == 200 for r in html.values()), {
        p: r.status_code for p, r in html.items() if r.status_code != 200
    }
    problems = [msg for path, r in html.items() for msg in check_page(path, r)]
    # A javascript: IRI in the release's own data is shown as text, never linked.
    assert not problems, "\n".join(problems[:30])
    assert set(hostile.poisoned) <= set(html)  # type: ignore[attr-defined]
    position = html["/position/B2-1-H.01"].text
    # the payloads are there, escaped: shown to the reader as the text they are
    assert "&lt;script&gt;alert(&#39;p1&#39;)&lt;/script&gt;" in position
    assert "&lt;img src=x onerror=alert(" in position


def test_search_results_and_previews_escape_labels(hostile: RunningServer) -> None:
    with httpx.Client(base_url=hostile.base_url, timeout=30) as client:
        responses = {
            "search": client.get("/search", params={"q": "alert script"}),
            "search-echo": client.get("/search", params={"q": PAYLOADS["p2"] + PAYLOADS["p1"]}),
            "preview": client.get("/reconcile/preview", params={"id": "B2-1-H.01"}),
            "preview-iri": client.get("/reconcile/preview", params={"id": POSITION}),
            "preview-echo": client.get("/reconcile/preview", params={"id": PAYLOADS["p1"]}),
            "finder": client.get("/finder", params={"title": "alert script"}),
            "finder-echo": client.get("/finder", params={"title": PAYLOADS["p1"]}),
        }
        api = client.get("/api/search", params={"q": "alert"})
    problems = [m for name, r in responses.items() for m in check_page(name, r)]
    assert not problems, "\n".join(problems)
    assert "&lt;script&gt;" in responses["search"].text  # the hit is listed, escaped
    assert all(
        r.status_code == 200 for r in responses.values() if r is not responses["preview-echo"]
    )
    assert responses["preview"].status_code == 200 or responses["preview-iri"].status_code == 200
    assert api.status_code == 200 and "<script>" in api.text  # JSON carries the raw label
    assert api.headers["content-type"].startswith("application/json")
    assert api.headers["x-content-type-options"] == "nosniff"


def test_the_query_page_escapes_results_and_reflected_text(hostile: RunningServer) -> None:
    label = f"SELECT ?l WHERE {{ <{POSITION}> <{SKOS}prefLabel> ?l }}"
    script_iri = "SELECT ?x WHERE { BIND(IRI(\"javascript:alert('p8')\") AS ?x) }"
    cases = {
        "results": label,
        "javascript IRI": script_iri,
        "reflected query": PAYLOADS["p5"] + PAYLOADS["p1"],
        "reflected error": "SELECT * WHERE { ?s ?p '" + PAYLOADS["p2"] + "' ",
    }
    problems = []
    with httpx.Client(base_url=hostile.base_url, timeout=30) as client:
        for name, query in cases.items():
            r = client.get("/sparql", params={"query": query, "format": "html"})
            assert r.headers["content-type"].startswith("text/html"), name
            problems += check_page(name, r)
    assert not problems, "\n".join(problems)


def test_error_pages_escape_what_they_echo(hostile: RunningServer) -> None:
    targets = [
        "/position/" + quote(PAYLOADS["p1"]),
        "/" + quote(PAYLOADS["p2"]),
        "/grade/" + quote(PAYLOADS["p3"]) + "?_format=" + quote(PAYLOADS["p1"]),
        "/search?q=" + quote(PAYLOADS["p4"]),
    ]
    with httpx.Client(base_url=hostile.base_url, timeout=30) as client:
        for target in targets:
            r = client.get(target, headers={"Accept": "text/html"})
            assert r.status_code < 500, (target, r.status_code)
            assert not re.search(r"Traceback|/work/|\.py\b", r.text), (target, r.text[:300])
            assert r.headers["x-content-type-options"] == "nosniff"
            if r.headers["content-type"].startswith("text/html"):
                assert not check_page(target, r)
            else:  # plain text that echoes the input: never sniffed as HTML, nothing may run
                assert r.headers["content-type"].startswith("text/plain"), target
                assert "default-src 'none'" in r.headers["content-security-policy"]


def test_data_iris_never_become_script_links(hostile: RunningServer) -> None:
    r = httpx.get(f"{hostile.base_url}/position/B2-1-H.01.html", timeout=30)
    assert r.status_code == 200
    assert not scan(r.text).script_urls
