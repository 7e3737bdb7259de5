"""The page service over an in-process store (what a static export would use) gives the same
page data as the server, and the route table and structure picture hold their promises."""

from __future__ import annotations

import asyncio
import dataclasses
import json
from pathlib import Path
from typing import Any

import httpx
import pytest
from rdflib import OWL, RDF, Graph, Literal, URIRef

from kg.query.local_store import LocalRepository
from kg.release.catalog import read_publication
from kg.web.pages import PageService, json_for_script
from kg.web.routes import FORMATS, ROUTES, Mode, match

pytest_plugins = ["web_fixtures"]

BASE = "https://reg1042.example.org/"
KG_POSITION = URIRef("https://reg1042.example.org/def#Position")


@pytest.fixture(scope="module")
def pages(web_release: Path) -> PageService:
    repo = LocalRepository.from_release(web_release)
    return PageService(repo, BASE, read_publication(web_release))


def plain(value: Any) -> Any:
    return json.loads(json.dumps(dataclasses.asdict(value), ensure_ascii=False))


def test_in_process_page_data_equals_the_servers(pages: PageService, web: httpx.Client) -> None:
    assert plain(asyncio.run(pages.browse())) == web.get("/browse.json").json()
    assert plain(asyncio.run(pages.home())) == web.get("/index.json").json()


def test_browse_opens_with_block_a_and_its_first_grade(pages: PageService) -> None:
    """Written by hand from data/blocks.csv, grades.csv and positions.csv (A1-1 holds
    A1-1.01 to A1-1.04; A1-1.01 is 'ЗТМО басшысы'), not from the server's own answer."""
    browse = asyncio.run(pages.browse())
    block = browse.blocks[0]
    assert (block.link.notation, block.link.href) == ("A", "/block/A")
    assert block.link.names == {
        "kk": "Басқарушы персонал",
        "ru": "Управленческий персонал",
        "en": "Management staff",
    }
    tier = block.groups[0].tiers[0]
    assert (tier.link.notation, tier.link.href) == ("A1", "/tier/A1")
    grade = tier.grades[0]
    assert (grade.link.notation, grade.link.href) == ("A1-1", "/grade/A1-1")
    assert [p.notation for p in grade.positions] == ["A1-1.01", "A1-1.02", "A1-1.03", "A1-1.04"]
    first = grade.positions[0]
    assert (first.href, first.names["kk"]) == ("/position/A1-1.01", "ЗТМО басшысы")


def test_browse_counts_every_position_once(pages: PageService, release_graph_nt: Graph) -> None:
    browse = asyncio.run(pages.browse())
    codes = [
        p.notation
        for b in browse.blocks
        for g in b.groups
        for t in g.tiers
        for grade in t.grades
        for p in grade.positions
    ]
    expected = {  # the active positions: the deprecated ones are not browsed
        p
        for p in release_graph_nt.subjects(RDF.type, KG_POSITION)
        if (p, OWL.deprecated, Literal(True)) not in release_graph_nt
    }
    assert len(codes) == len(set(codes)) == len(expected) == browse.positions == 387
    assert sum(b.positions for b in browse.blocks) == browse.positions


def test_concept_page_of_an_unknown_iri_is_none(pages: PageService) -> None:
    assert asyncio.run(pages.concept(BASE + "position/Z9-9.99", "position")) is None
    assert asyncio.run(pages.exists(BASE + "position/Z9-9.99", "position")) is False
    assert asyncio.run(pages.exists(BASE + "position/A1-1.01", "position")) is True


def test_breadcrumb_of_an_institution_type_follows_its_broader_chain(pages: PageService) -> None:
    page = asyncio.run(pages.concept(BASE + "institution-type/ZTMO", "institution-type"))
    assert page is not None
    assert page.breadcrumb[0].iri == BASE + "institution-types"
    assert all(c.href.startswith("/") for c in page.breadcrumb)


def test_links_stay_on_the_site_and_the_vocabulary_resolves_to_def(pages: PageService) -> None:
    assert pages.href(BASE + "position/A1-1.01") == "/position/A1-1.01"
    assert pages.href("https://reg1042.example.org/def#Position") == "/def#Position"
    assert pages.href("http://www.w3.org/2004/02/skos/core#Concept").startswith("http://")


def test_json_for_script_cannot_close_the_element() -> None:
    text = json_for_script({"name": "</script><script>alert(1)</script><!-- & "})
    assert "<" not in text and ">" not in text and "&" not in text
    assert json.loads(text)["name"] == "</script><script>alert(1)</script><!-- & "


# ---------------------------------------------------------------------------- route table


def test_document_paths_match_back_to_their_route() -> None:
    samples = {
        "notation": "A1-1.01",
        "id": "x",
        "path": "position/A1-1.01/title",
        "name": "n",
        "language": "kaz",
        "occupation": "o",
        "code": "2411",
        "version": "1.0.0",
    }
    for route in ROUTES:
        params = {p: samples[p] for p in route.params}
        if route.mode is Mode.RESOURCE:
            assert match(route.path(**params)).route is route  # type: ignore[union-attr]
            for fmt in route.formats:
                found = match(route.document_path(fmt, **params))
                assert found is not None and found.route is route and found.ext == fmt
                assert fmt in FORMATS
        elif route.mode is Mode.PAGE:
            assert match(route.pattern).route is route  # type: ignore[union-attr]
            found = match(route.twin or "")
            assert found is not None and found.route is route and found.ext == "json"


def test_patterns_do_not_shadow_each_other() -> None:
    """Each pattern's own sample path is matched by that route, not by an earlier one."""
    seen = set()
    for route in ROUTES:
        assert route.pattern not in seen
        seen.add(route.pattern)
        if route.mode is Mode.SERVICE:
            assert match(route.pattern) is None or match(route.pattern).route is route  # type: ignore[union-attr]
