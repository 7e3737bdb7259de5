"""The HTML pages and downloads over real HTTP: what they say, in which order, with which
headers; expectations come from the release itself (read with rdflib) or are written by hand."""

from __future__ import annotations

import hashlib
import json
import re
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import httpx
import pytest
from rdflib import OWL, RDF, SKOS, Graph, Literal, Namespace, URIRef

pytest_plugins = ["web_fixtures"]

from web_fixtures import HOSTILE_LABEL, HOSTILE_POSITION, raw_get  # noqa: E402

BASE = "https://reg1042.example.org/"
KG = Namespace("https://reg1042.example.org/def#")
ELI = Namespace("http://data.europa.eu/eli/ontology#")


class _Page(HTMLParser):
    """The bits of a page the tests look at: links, JSON-LD blocks, alternates, text."""

    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []
        self.alternates: list[dict[str, str]] = []
        self.jsonld: list[str] = []
        self.h1 = ""
        self._stack: list[str] = []
        self._jsonld = False
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        self._stack.append(tag)
        if tag == "a" and "href" in a:
            # Pages link an identifier's HTML document (so the reader's language stays).
            self.links.append(a["href"].removesuffix(".html"))
        if tag == "link" and a.get("rel") == "alternate":
            self.alternates.append(a)
        self._jsonld = tag == "script" and a.get("type") == "application/ld+json"
        if self._jsonld:
            self.jsonld.append("")

    def handle_endtag(self, tag: str) -> None:
        while self._stack and self._stack.pop() != tag:
            pass
        self._jsonld = False

    def handle_data(self, data: str) -> None:
        if self._jsonld:
            self.jsonld[-1] += data
        elif "h1" in self._stack:
            self.h1 += data
        if not self._jsonld:
            self.text.append(data)


def parse(html: str) -> _Page:
    page = _Page()
    page.feed(html)
    return page


def words(text: str) -> str:
    return " ".join(text.split())


def count(g: Graph, cls: URIRef) -> int:
    """Instances of `cls`; of positions, the active ones (a deprecated position, kept for
    its URI, is no longer one of the register's positions)."""
    return len(active(g, cls))


def active(g: Graph, cls: URIRef) -> set:
    return {s for s in g.subjects(RDF.type, cls) if (s, OWL.deprecated, Literal(True)) not in g}


# ---------------------------------------------------------------------------- home


def test_home_page(web: httpx.Client, release_graph_nt: Graph) -> None:
    r = web.get("/en/")
    assert r.status_code == 200 and r.headers["content-type"] == "text/html; charset=utf-8"
    page = parse(r.text.replace('"/en/', '"/'))
    text = words(" ".join(page.text))
    for cls, noun in (
        (KG.Position, "positions"),
        (KG.Grade, "grades"),
        (KG.Tier, "tiers"),
        (KG.InstitutionType, "institution types"),
        (KG.EditorialDecision, "editorial decisions"),
    ):
        n = count(release_graph_nt, cls)
        assert n > 0 and f"{n} {noun}" in text, (noun, n)
    assert "Әлеуметтік қамсыздандыру саласының" in page.h1
    # legal basis: every act links to its page; the way on: browse, SPARQL, downloads, DCAT, VoID
    acts = {str(a) for a in release_graph_nt.subjects(RDF.type, ELI.LegalResource)}
    for act in acts:
        assert "/" + act.removeprefix(BASE) in page.links, act
    for href in ("/browse", "/sparql", "/downloads/", "/catalog", "/void"):
        assert href in page.links, href
    # the picture of the structure: one bar (a link) per block, tier and grade with positions
    svg = r.text[r.text.index("<svg") : r.text.index("</svg>")]
    bars = re.findall(r'<a href="/en(/(?:block|tier|grade)/[^"]+)\.html"[^>]*>\s*<rect', svg)
    graded = {
        str(release_graph_nt.value(p, KG.grade)).removeprefix(BASE)
        for p in active(release_graph_nt, KG.Position)
    }
    assert {b[1:] for b in bars if b.startswith("/grade/")} == graded
    assert sum(b.startswith("/block/") for b in bars) == count(release_graph_nt, KG.Block)
    # machine-readable: schema.org and the JSON twin
    (ld,) = (json.loads(block) for block in page.jsonld)
    assert ld["@type"] == "DefinedTermSet" and ld["@id"] == BASE + "register"
    assert {t["termCode"] for t in ld["hasDefinedTerm"]} == {"A", "B", "C", "D"}
    twin = next(a for a in page.alternates if a.get("type") == "application/json")
    data = web.get(twin["href"]).json()
    assert data["counts"]["positions"] == count(release_graph_nt, KG.Position)


def test_structure_bars_are_as_wide_as_their_positions(web: httpx.Client) -> None:
    data = web.get("/index.json").json()
    bars = data["figure"]
    per_level: dict[int, float] = {}
    for b in bars:
        per_level[b["level"]] = per_level.get(b["level"], 0) + b["positions"]
    assert per_level[0] == per_level[1] == per_level[2] == data["counts"]["positions"]
    grades = [b for b in bars if b["level"] == 2]
    widest = max(grades, key=lambda b: b["width"])
    narrowest = min(grades, key=lambda b: b["width"])
    assert widest["positions"] > narrowest["positions"]


# ---------------------------------------------------------------------------- browse

CODE = re.compile(r'href="/position/([^"]+)"')


def test_browse_lists_every_position_in_natural_order(
    web: httpx.Client, release_graph_nt: Graph
) -> None:
    r = web.get("/browse")
    r = httpx.Response(200, text=r.text.replace('.html"', '"'))
    assert r.status_code == 200
    tree = r.text.split('<section class="az"', 1)[0]  # the tree; the A-Z index follows
    shown = CODE.findall(tree)
    expected = {
        str(n)
        for p in active(release_graph_nt, KG.Position)
        for n in release_graph_nt.objects(p, SKOS.notation)
    }
    # every active position; the deprecated ones (split in 1.1.0) are not listed
    assert sorted(shown) == sorted(expected) and len(shown) == len(set(shown)) == 387
    grades = re.findall(r'href="/grade/([^"]+)"', tree)
    # written by hand: 1 < 1-1 < 2 < 2-1 (not string order), sectors H, E, O
    order = {code: i for i, code in enumerate(grades)}
    assert order["A1-1"] < order["A1-1-1"] < order["A1-2"] < order["A1-2-1"] < order["A1-3"]
    assert order["A3-3"] < order["B1-1"] < order["B1-5"] < order["B2-1-H"]
    assert order["B4-4-H"] < order["B2-1-E"] < order["B4-4-E"] < order["B2-1-O"] < order["B4-4-O"]
    assert order["B4-4-O"] < order["C1"] < order["C3"] < order["D1"]
    # positions of a grade: 01 < 02 < ... < 10, after their grade and before the next grade
    a11 = [c for c in shown if c.startswith("A1-1.")]
    assert a11 == sorted(a11) and a11[0] == "A1-1.01"
    i = r.text.index('href="/position/A1-1.01"')
    assert r.text.index('href="/grade/A1-1"') < i < r.text.index('href="/grade/A1-1-1"')


def test_browse_groups_block_b_by_sector(web: httpx.Client) -> None:
    data = web.get("/browse.json").json()
    block_b = next(b for b in data["blocks"] if b["link"]["notation"] == "B")
    sectors = [g["sector"]["notation"] if g["sector"] else None for g in block_b["groups"]]
    assert sectors == [None, "H", "E", "O"]
    tiers = {
        (g["sector"]["notation"] if g["sector"] else None): [
            t["link"]["notation"] for t in g["tiers"]
        ]
        for g in block_b["groups"]
    }
    assert tiers[None] == ["B1"] and tiers["H"] == ["B2", "B3", "B4"]
    for group in block_b["groups"][1:]:
        code = group["sector"]["notation"]
        for tier in group["tiers"]:
            assert all(g["link"]["notation"].endswith("-" + code) for g in tier["grades"])
    html = web.get("/browse").text
    assert html.index("Денсаулық сақтау") < html.index("Білім беру") < html.index("Өзге де салалар")


# ---------------------------------------------------------------------------- concept pages


def test_position_page(web: httpx.Client, release_graph_nt: Graph) -> None:
    r = web.get("/en/position/A1-1.01.html")
    assert r.status_code == 200
    r = httpx.Response(200, text=r.text.replace('"/en/', '"/'))
    page = parse(r.text)
    assert "ЗТМО басшысы" in page.h1 and "A1-1.01" in page.h1
    text = words(" ".join(page.text))
    # breadcrumb to the top, in order
    crumbs = r.text[
        r.text.index('class="breadcrumb"') : r.text.index(
            "</nav>", r.text.index('class="breadcrumb"')
        )
    ]
    hrefs = [h.removesuffix(".html") for h in re.findall(r'href="([^"]+)"', crumbs)]
    assert hrefs == ["/", "/register", "/block/A", "/tier/A1", "/grade/A1-1"]
    # its institution type and significance level, linked
    assert "/institution-type/ZTMO" in page.links
    assert "/significance-level/republican" in page.links
    # the verbatim quote, with the act it comes from
    pos = URIRef(BASE + "position/A1-1.01")
    quote = release_graph_nt.value(pos, KG.sourceQuote)
    exact = next(
        str(o)
        for s in release_graph_nt.objects(quote, URIRef("http://www.w3.org/ns/oa#hasSelector"))
        for o in release_graph_nt.objects(s, URIRef("http://www.w3.org/ns/oa#exact"))
    )
    assert words(exact) in text
    assert "/act/order-2015-1042-consolidated" in page.links
    # the editorial decision: what the law says, what we record, why
    assert "/decision/ED001" in page.links
    for heading in ("What the law says", "What we record", "Why"):
        assert heading in text
    # machine-readable twins and schema.org
    types = {a["type"]: a["href"] for a in page.alternates if "type" in a}
    assert types["text/turtle"] == "/position/A1-1.01.ttl"
    assert types["application/ld+json"] == "/position/A1-1.01.jsonld"
    (ld,) = (json.loads(block) for block in page.jsonld)
    assert ld["@type"] == "DefinedTerm" and ld["termCode"] == "A1-1.01"
    assert ld["name"] == "ЗТМО басшысы"
    assert ld["inDefinedTermSet"]["@id"] == BASE + "register"


def test_grade_page_children_and_levels(web: httpx.Client) -> None:
    r = web.get("/grade/B2-1-H.html")
    r = httpx.Response(200, text=r.text.replace('.html"', '"'))
    page = parse(r.text)
    assert "/qualification-level/high" in page.links and "/category/highest" in page.links
    assert "/sector/healthcare" in page.links
    children = re.findall(r'href="/position/(B2-1-H\.\d\d)"', r.text)
    assert children and children == sorted(children)


def test_block_page_marks_unofficial_translations(web: httpx.Client) -> None:
    r = web.get("/en/block/A.html")
    r = httpx.Response(200, text=r.text.replace('.html"', '"').replace('"/en/', '"/'))
    page = parse(r.text)
    assert "Басқарушы персонал" in page.h1
    text = words(" ".join(page.text))
    assert "Управленческий персонал ru unofficial translation" in text
    assert "Management staff en unofficial translation" in text
    assert text.index("Басқарушы") < text.index("Управленческий") < text.index("Management staff")
    children = re.findall(r'href="/tier/([^"]+)"', r.text)
    assert children[-3:] == ["A1", "A2", "A3"]


def test_decision_page(web: httpx.Client) -> None:
    text = words(" ".join(parse(web.get("/en/decision/ED001.html").text).text))
    assert "What the law says" in text and "What we record" in text and "Why" in text
    assert "Four positions, one per body" in text


# ---------------------------------------------------------------------------- downloads


def sums(release: Path) -> dict[str, str]:
    out = {}
    for line in (release / "SHA256SUMS").read_text().splitlines():
        digest, _, name = line.partition("  ")
        out[name] = digest
    return out


EXPECTED_TYPES = {
    "register.ttl": "text/turtle; charset=utf-8",
    "register.nt": "application/n-triples",
    "register.jsonld": "application/ld+json",
    "register.rdf": "application/rdf+xml",
    "positions.csv": "text/csv; charset=utf-8",
    "positions.csv-metadata.json": "application/csvm+json",
    "catalog.ttl": "text/turtle; charset=utf-8",
    "catalog.jsonld": "application/ld+json",
    "void.ttl": "text/turtle; charset=utf-8",
    "SHA256SUMS": "text/plain; charset=utf-8",
}


def test_downloads_page_lists_every_file(web: httpx.Client, web_release: Path) -> None:
    r = web.get("/downloads/")
    assert r.status_code == 200
    text = words(" ".join(parse(r.text).text))
    listed = sums(web_release)
    for name, digest in listed.items():
        assert f'href="/downloads/{name}"' in r.text, name
        assert digest in text, name
        size = (web_release / name).stat().st_size
        assert f'data-bytes="{size}"' in r.text, name
    assert "CC0" in text and "text/turtle" in text and "application/n-triples" in text
    data = web.get("/downloads.json").json()
    assert {f["name"] for f in data["files"]} == set(listed) | {"SHA256SUMS"}


@pytest.mark.parametrize("name", sorted(EXPECTED_TYPES))
def test_download_content_type_checksum_and_etag(
    web: httpx.Client, web_release: Path, name: str
) -> None:
    r = web.get(f"/downloads/{name}")
    assert r.status_code == 200
    assert r.headers["content-type"] == EXPECTED_TYPES[name]
    assert r.content == (web_release / name).read_bytes()
    digest = hashlib.sha256(r.content).hexdigest()
    if name != "SHA256SUMS":
        assert sums(web_release)[name] == digest
    assert r.headers["etag"] == f'"{digest}"'
    again = web.get(f"/downloads/{name}", headers={"If-None-Match": r.headers["etag"]})
    assert again.status_code == 304 and again.content == b""


@pytest.mark.parametrize(
    "target",
    [
        "/downloads/../SHA256SUMS",
        "/downloads/..%2fSHA256SUMS",
        "/downloads/%2e%2e/%2e%2e/etc/passwd",
        "/downloads/..%2F..%2F..%2Fetc%2Fpasswd",
        "/downloads/.%2e/pyproject.toml",
        "/downloads/%2fetc%2fpasswd",
        "/downloads/..",
        "/static/../../pyproject.toml",
        "/static/..%2f..%2fpyproject.toml",
        "/static/%2e%2e/templates/base.html",
    ],
)
def test_path_traversal_is_refused(web_server: Any, target: str) -> None:
    status, body = raw_get(web_server.base_url, target)
    assert status in (400, 404), (target, status)
    assert b"root:" not in body and b"[project]" not in body and b"{% block" not in body


def test_static_stylesheet(web: httpx.Client) -> None:
    r = web.get("/static/site.css")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/css")
    assert r.headers["etag"] and "max-age=" in r.headers["cache-control"]
    assert web.get("/static/nothing.css").status_code == 404


# ---------------------------------------------------------------------------- escaping


def test_labels_are_escaped_everywhere(hostile_server: Any) -> None:
    with httpx.Client(base_url=hostile_server.base_url, timeout=30) as client:
        for path in (f"/position/{HOSTILE_POSITION}.html", "/browse", "/grade/A1-1.html"):
            r = client.get(path)
            assert r.status_code == 200, path
            assert "<script>alert" not in r.text and "<b>bold</b>" not in r.text, path
            assert "&lt;script&gt;alert" in r.text, path
            ours = r.text.count('<script type="application/ld+json">') + r.text.count(
                '<script src="/static/suggest.js?'
            )  # JSON-LD and the autocomplete script, nothing else
            assert r.text.count("<script") == ours
        page = parse(client.get(f"/position/{HOSTILE_POSITION}.html").text)
        (ld,) = (json.loads(block) for block in page.jsonld)
        assert ld["name"] == HOSTILE_LABEL  # the data survive, only the markup is inert
        assert HOSTILE_LABEL in page.h1


def test_browse_is_a_collapsible_tree_with_an_a_to_z_index(web: httpx.Client) -> None:
    text = web.get("/browse").text
    tree, az = text.split('<section class="az"', 1)
    # block -> tier -> grade -> positions, each a <details> that works without JavaScript
    assert '<details class="block" id="block-B" open>' in tree
    assert '<details class="tier" id="tier-B3-H">' in tree
    assert '<details class="grade" id="grade-B3-1-H">' in tree
    grade = tree.split('id="grade-C2"', 1)[1].split("</details>", 1)[0]
    assert 'href="/position/C2.02.html"' in grade and "Бухгалтер" in grade
    # A-Z in Kazakh (Ә after А, Қ after К) and in Russian, one entry per title
    kk, ru = az.split('id="az-ru"', 1)
    letters = re.findall(r'<h4 id="az-kk-\d+">(.)</h4>', kk)
    assert letters.index("А") < letters.index("Ә") < letters.index("Б")
    assert letters.index("К") < letters.index("Қ") < letters.index("Л")
    nurse = re.search(r"<li>Мейіргер (.*?)</li>", kk)
    assert nurse is not None and len(CODE.findall(nurse[1])) == 8
    assert "<li>Медицинская сестра " in ru and "<li>Бухгалтер " in ru
    # occupations are reachable from the browse page and from home
    assert re.search(r'href="/occupations(?:\.html)?"', text)
    assert re.search(r'href="/occupations(?:\.html)?"', web.get("/").text)


def test_tier_pages_list_their_positions(web: httpx.Client) -> None:
    text = web.get("/tier/C2.html").text
    section = text.split('id="positions-h"', 1)[1].split("</section>", 1)[0]
    assert 'href="/position/C2.02.html"' in section and 'href="/position/C2.23.html"' in section
    text = web.get("/grade/B3-1-H.html").text
    assert 'href="/position/B3-1-H.01.html"' in text  # a grade lists its positions as its children
