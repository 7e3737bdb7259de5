"""Headless Chromium loads the home, browse and a concept page from the running server; the
tests read what a person would see: the visible text of the rendered document."""

from __future__ import annotations

import struct
import zlib
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from rdflib import OWL, RDF, Graph, Literal, Namespace, URIRef

pytest_plugins = ["web_fixtures"]

BASE = "https://reg1042.example.org/"
KG = Namespace("https://reg1042.example.org/def#")
OA = Namespace("http://www.w3.org/ns/oa#")
#: Elements whose text a reader never sees on the page.
_INVISIBLE = {"head", "script", "style", "title", "template", "noscript"}
_VOID = {
    "area",
    "base",
    "br",
    "col",
    "embed",
    "hr",
    "img",
    "input",
    "link",
    "meta",
    "source",
    "track",
    "wbr",
}


class _Visible(HTMLParser):
    """Text outside invisible elements and `hidden` subtrees, plus the h1 and breadcrumb."""

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[tuple[str, bool, str]] = []
        self.parts: list[str] = []
        self.h1: list[str] = []
        self.crumbs: list[str] = []

    def _hidden(self) -> bool:
        return any(hidden for _, hidden, _ in self.stack)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _VOID:
            return
        a = dict(attrs)
        hidden = tag in _INVISIBLE or "hidden" in a or a.get("aria-hidden") == "true"
        self.stack.append((tag, hidden, a.get("class") or ""))

    def handle_endtag(self, tag: str) -> None:
        while self.stack:
            if self.stack.pop()[0] == tag:
                break

    def handle_data(self, data: str) -> None:
        if self._hidden():
            return
        self.parts.append(data)
        if any(t == "h1" for t, _, _ in self.stack):
            self.h1.append(data)
        if any("breadcrumb" in c for _, _, c in self.stack):
            self.crumbs.append(data)


def visible(dom: str) -> _Visible:
    v = _Visible()
    v.feed(dom)
    return v


def squash(parts: list[str]) -> str:
    return " ".join(" ".join(parts).split())


@pytest.fixture(scope="module")
def site(web_server: Any) -> str:
    return web_server.base_url


def test_home_shows_the_register_its_counts_and_the_way_on(
    browser: Any, site: str, release_graph_nt: Graph
) -> None:
    seen = visible(browser.dom(site + "/en/"))  # the English version: its wording is checked
    text = squash(seen.parts)
    assert "Әлеуметтік қамсыздандыру саласының азаматтық қызметшілері" in squash(seen.h1)
    positions = len(  # the active ones: deprecated positions keep their URIs only
        {
            p
            for p in release_graph_nt.subjects(RDF.type, KG.Position)
            if (p, OWL.deprecated, Literal(True)) not in release_graph_nt
        }
    )
    grades = len(set(release_graph_nt.subjects(RDF.type, KG.Grade)))
    decisions = len(set(release_graph_nt.subjects(RDF.type, KG.EditorialDecision)))
    for shown in (f"{positions} positions", f"{grades} grades", f"{decisions} editorial decisions"):
        assert shown in text
    for heading in ("Legal basis", "Structure", "Use the data"):
        assert heading in text
    assert "Amendment to order No. 1042" in text


def test_browse_shows_blocks_tiers_grades_and_positions(browser: Any, site: str) -> None:
    text = squash(visible(browser.dom(site + "/browse")).parts)  # Kazakh, the law's labels
    assert "Тізілімді шолу" in text
    for words in (
        "Басқарушы персонал",
        "Негізгі персонал",
        "A1-1.01 ЗТМО басшысы",
        "Денсаулық сақтау",
    ):
        assert words in text, words
    assert text.index("A1-1.01 ЗТМО басшысы") < text.index("A1-1-1.01") < text.index("A1-2.01")


def test_concept_page_shows_label_breadcrumb_and_the_words_of_the_law(
    browser: Any, site: str, release_graph_nt: Graph
) -> None:
    # the 303 is followed, to the English version (headless Chromium asks for en-US)
    seen = visible(browser.dom(site + "/position/A1-1.01"))
    assert squash(seen.h1) == "A1-1.01 ЗТМО басшысы"
    crumbs = squash(seen.crumbs)
    # the English version names the steps in English where the data has English labels
    for step in ("Home", "Register of positions", "Management staff", "Tier A1", "A1-1"):
        assert step in crumbs, step
    assert crumbs.index("Management staff") < crumbs.index("Tier A1, step 1")
    quote = release_graph_nt.value(URIRef(BASE + "position/A1-1.01"), KG.sourceQuote)
    exact = next(
        str(e)
        for s in release_graph_nt.objects(quote, OA.hasSelector)
        for e in release_graph_nt.objects(s, OA.exact)
    )
    text = squash(seen.parts)
    assert " ".join(exact.split()) in text
    assert "Order No. 1042 as amended" in text  # the act the quote is from
    assert "What the law says" in text


def _png_size_and_pixels(path: Path) -> tuple[int, int, bytes]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    width, height = struct.unpack(">II", data[16:24])
    pos, idat = 8, b""
    while pos < len(data):
        length = struct.unpack(">I", data[pos : pos + 4])[0]
        kind = data[pos + 4 : pos + 8]
        if kind == b"IDAT":
            idat += data[pos + 8 : pos + 8 + length]
        pos += 12 + length
    return width, height, zlib.decompress(idat)


def test_screenshot_of_a_concept_page_is_not_blank(
    browser: Any, site: str, tmp_path_factory: pytest.TempPathFactory
) -> None:
    folder = tmp_path_factory.mktemp("screenshots")
    for name, path in (("concept", "/position/A1-1.01"), ("home", "/")):
        shot = browser.screenshot(site + path, folder / f"{name}.png")
        width, height, pixels = _png_size_and_pixels(shot)
        assert (width, height) == (1280, 1600)
        assert len(set(pixels)) > 64, f"{name}: the screenshot looks blank"
