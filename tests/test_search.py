"""Search: normalisation, ranking and grouping on the real release, in-process and over HTTP.

Expectations are written by hand from data/positions.csv and data/institution_types.csv,
not computed by the code under test.
"""

from __future__ import annotations

import json
from typing import Any

import httpx
import pyoxigraph as ox
import pytest

from kg.lookup.search import SearchIndex, as_code, fold, parse_query, stem
from kg.uris import Uris

pytest_plugins = ["search_fixtures"]

#: Positions whose title names ЗТМО (data/positions.csv).
ZTMO_POSITIONS = {
    "A1-1.01",  # ЗТМО басшысы
    "A2-1.03",  # ЗТМО облыстық филиалының басшысы
    "A2-1-1.01",  # ЗТМО облыстық филиал басшысының орынбасары
    "A2-1-1.04",  # ЗТМО орталық аппарат департаментінің директоры
    "A2-2.06",  # ЗТМО облыстық филиалының бас бухгалтері
    "A3-1.01",  # ЗТМО Департаменті директорының орынбасары
    "A3-1.02",  # ЗТМО басқарма (орталық аппарат) басшысы
    "A3-2.03",  # ЗТМО аудандық филиал бөлімшесінің басшысы
    "A3-2.04",  # ЗТМО қалалық филиал бөлімшесінің басшысы
    "A3-2-1.01",  # ЗТМО қалалық бөлімше басшысының орынбасары
    "A3-2-1.02",  # ЗТМО облыстық филиал бөлімінің басшысы
    "A3-3.05",  # ЗТМО аудандық бөлімшесінің бөлім басшысы
    "A3-3.06",  # ЗТМО қалалық бөлімшесінің бөлім басшысы
}
#: Release 1.0.0's ЗТМО positions that release 1.1.0 split (deprecated, ranked last).
ZTMO_DEPRECATED = {"A3-2.01", "A3-3.01"}
#: The grades of the plain nurse, "Мейіргер" (healthcare rows of B3 and B4).
NURSE_GRADES = ["B3-1-H", "B3-2-H", "B3-3-H", "B3-4-H", "B4-1-H", "B4-2-H", "B4-3-H", "B4-4-H"]
#: Chief accountants and their deputies (titles with "бас бухгалтер").
CHIEF_ACCOUNTANTS = {"A2-1.02", "A2-1-1.03", "A2-2.04", "A2-2.06", "A2-2-1.04", "A2-3.04"}
CHIEF_ACCOUNTANTS |= {"A2-3-1.03"}


def notations(hits: list[Any]) -> list[str]:
    return [h.entity.notation for h in hits]


# ---------------------------------------------------------------------------- normalisation


@pytest.mark.parametrize(
    "forms",
    [
        ["басшы", "басшысы", "басшының", "басшысының"],
        ["нұсқаушы", "нұсқаушысы", "нұсқаушының"],
        ["бухгалтер", "бухгалтері", "бухгалтерінің"],
        ["орталық", "орталығы", "орталығының"],
        ["мейіргер", "мейиргер", "мейiргер", "МЕЙІРГЕР", "мейіргердің"],  # 3rd: Latin i
        ["дәрігер", "дәрігерлер", "дарігер"],
        ["мұғалім", "мұғалімдер", "мугалим"],
    ],
)
def test_forms_of_one_word_share_a_key(forms: list[str]) -> None:
    keys = {stem(fold(f)) for f in forms}
    assert len(keys) == 1, dict(zip(forms, (stem(fold(f)) for f in forms), strict=True))


def test_different_words_keep_different_keys() -> None:
    assert stem(fold("бас")) != stem(fold("басшы"))  # chief / head
    assert stem(fold("мейіргер")) != stem(fold("мейірім"))
    assert stem(fold("ЗТМО")) == "зтмо"


@pytest.mark.parametrize(
    ("typed", "code"),
    [
        ("В2-1", "B2-1"),  # Cyrillic В
        ("b2-1", "B2-1"),
        ("С3", "C3"),  # Cyrillic С
        ("СЗ", "C3"),  # Cyrillic С and З
        ("c3.2", "C3.02"),
        ("В2–1–Н.01", "B2-1-H.01"),  # Cyrillic В and Н, en dashes
        ("A1-1-1", "A1-1-1"),
        ("Д1", "D1"),
    ],
)
def test_codes_with_look_alike_letters(typed: str, code: str) -> None:
    assert as_code(typed, alone=True) == code
    assert parse_query(typed).codes == (code,)


def test_words_are_not_read_as_codes() -> None:
    assert parse_query("аз бухгалтер").codes == ()  # "аз" would read A3
    assert parse_query("бухгалтер").codes == ()
    assert parse_query("C2 бухгалтер").codes == ("C2",)


# ---------------------------------------------------------------------------- ranking


def test_plain_accountant_ranks_above_every_chief_accountant(search_index: SearchIndex) -> None:
    hits = search_index.search("бухгалтер", limit=None)
    assert notations(hits[:2]) == ["C2.02", "C3.02"]
    top = hits[0].score
    chiefs = [h for h in hits if h.entity.notation in CHIEF_ACCOUNTANTS]
    assert {h.entity.notation for h in chiefs} == CHIEF_ACCOUNTANTS
    assert all(h.score < top for h in chiefs)
    group = search_index.group(hits)[0]
    assert (group.title, group.type, group.grades) == ("Бухгалтер", "position", ["C2", "C3"])


@pytest.mark.parametrize("typed", ["мейiргер", "мейиргер", "МЕЙІРГЕР", "мейіргерлер"])
def test_nurse_typed_any_way(search_index: SearchIndex, typed: str) -> None:
    group = search_index.group(search_index.search(typed, limit=None))[0]
    assert group.title == "Мейіргер"
    assert group.grades == NURSE_GRADES


def test_genitive_and_possessive_forms_meet(search_index: SearchIndex) -> None:
    hits = search_index.search("басшының орынбасары", types=["position"], limit=None)
    found = notations(hits)
    for wanted in ("A1-1-1.01", "A1-3-1.01", "A2-1-1.01", "A3-2-1.01"):  # басшысының орынбасары
        assert wanted in found
    for h in hits[:5]:
        assert "басшысының орынбасары" in h.entity.label("kk"), h.entity.label("kk")


def test_instructor_with_possessive_finds_plain_instructor(search_index: SearchIndex) -> None:
    group = search_index.group(search_index.search("нұсқаушысы", limit=None))[0]
    assert (group.title, group.grades) == ("Нұсқаушы", ["C2", "C3"])


def test_word_order_does_not_matter(search_index: SearchIndex) -> None:
    hits = search_index.search("орынбасары ЗТМО филиал басшысының облыстық")
    assert hits[0].entity.notation == "A2-1-1.01"


@pytest.mark.parametrize("typed", ["ЗТМО", "зтмо", "зейнетақы төлеу жөніндегі мемлекеттік орталық"])
def test_abbreviation_and_expansion_find_the_same_positions(
    search_index: SearchIndex, typed: str
) -> None:
    hits = search_index.search(typed, types=["position"], limit=None)
    found = set(notations(hits))
    assert found >= ZTMO_POSITIONS | ZTMO_DEPRECATED
    assert set(notations(hits[: len(ZTMO_POSITIONS)])) == ZTMO_POSITIONS
    # deprecated positions come after every active one
    assert set(notations(hits[-len(ZTMO_DEPRECATED) :])) == ZTMO_DEPRECATED


def test_expansion_with_a_title_word_finds_the_head(search_index: SearchIndex) -> None:
    hits = search_index.search("зейнетақы төлеу жөніндегі мемлекеттік орталығының басшысы")
    assert hits[0].entity.notation == "A1-1.01"  # ЗТМО басшысы


def test_institution_type_by_abbreviation(search_index: SearchIndex) -> None:
    hits = search_index.search("ЗТМО", types=["institution-type"])
    assert hits[0].entity.id == "institution-type/ZTMO"


@pytest.mark.parametrize("typed", ["В2-1", "B2-1", "в2-1"])
def test_grade_code_with_cyrillic_letter(search_index: SearchIndex, typed: str) -> None:
    hits = search_index.search(typed, limit=None)
    assert {h.entity.notation for h in hits[:3]} == {"B2-1-H", "B2-1-E", "B2-1-O"}
    assert all(h.entity.notation.startswith("B2-1-") for h in hits)
    # every position of those grades: 1 doctor row, 1 teacher row, 16 other-sector titles
    # and the 2 parts of B2-1-O.08 (split in release 1.1.0; deprecated, it is still found)
    positions = [h for h in hits if h.entity.type == "position"]
    assert len(positions) == 1 + 1 + 16 + 2
    assert [h.entity.notation for h in positions if h.entity.deprecated] == ["B2-1-O.08"]


def test_position_and_tier_codes(search_index: SearchIndex) -> None:
    assert notations(search_index.search("B2-1-H.01")) == ["B2-1-H.01"]
    assert notations(search_index.search("В2-1-Н.01")) == ["B2-1-H.01"]
    a1 = search_index.search("A1", limit=None)
    assert (a1[0].entity.type, a1[0].entity.notation) == ("tier", "A1")
    c3 = search_index.search("СЗ", limit=3)
    assert {(h.entity.type, h.entity.notation) for h in c3[:2]} == {("tier", "C3"), ("grade", "C3")}


def test_code_and_words_together(search_index: SearchIndex) -> None:
    assert notations(search_index.search("С2 бухгалтер")) == ["C2.02"]
    nurses = search_index.search("мейіргер B4", limit=None)
    assert {h.entity.grade_notation for h in nurses if h.score == 100} == set(NURSE_GRADES[4:])


#: Titles (data/positions.csv) each held by one position and contained in other titles.
EXACT_TITLES = [
    ("Заңгер", "C2.06"),
    ("Тіркеуші", "D1.31"),
    ("Хатшы", "D1.32"),
    ("Медициналық тіркеуші", "B4-4-H.05"),
    ("Стационарлық үлгідегі ұйымның басшысы", "A1-2.02"),
]


@pytest.mark.parametrize(("title", "notation"), EXACT_TITLES)
def test_an_exact_title_ranks_its_position_first(
    search_index: SearchIndex, title: str, notation: str
) -> None:
    hits = search_index.search(title, ("position",), limit=None)
    assert len(hits) > 1, "other titles contain these words: they must be candidates too"
    assert hits[0].entity.notation == notation


def test_nonsense_finds_nothing(search_index: SearchIndex) -> None:
    assert search_index.search("qwxz plugh zzzzzz") == []
    assert search_index.search("   ") == []


def test_one_typo_still_finds(search_index: SearchIndex) -> None:
    hits = search_index.search("мейргер")  # a letter missing
    assert hits and hits[0].entity.label("kk") == "Мейіргер"


def test_latin_script_labels_are_searchable() -> None:
    """kk-Latn labels (added by the transliteration) are indexed like any other label."""
    base = "https://example.org/"
    kg, skos = "https://reg1042.example.org/def#", "http://www.w3.org/2004/02/skos/core#"
    pos = ox.NamedNode(base + "position/C2.02")
    triples = [
        ox.Triple(ox.NamedNode(base + "register"), ox.NamedNode(
            "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"), ox.NamedNode(kg + "PositionRegister")),
        ox.Triple(pos, ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type"),
                  ox.NamedNode(kg + "Position")),
        ox.Triple(pos, ox.NamedNode(skos + "prefLabel"), ox.Literal("Бухгалтер", language="kk")),
        ox.Triple(pos, ox.NamedNode(skos + "altLabel"), ox.Literal("Buhgalter", language="kk-Latn")),
        ox.Triple(pos, ox.NamedNode(skos + "notation"), ox.Literal("C2.02")),
    ]  # fmt: skip
    index = SearchIndex.from_triples(triples, Uris(base))
    assert index.base == base
    hits = index.search("BUHGALTER")
    assert [(h.entity.id, h.matched) for h in hits] == [("position/C2.02", "Buhgalter")]


def test_latin_labels_of_the_release_when_present(search_index: SearchIndex) -> None:
    latin = [
        (e, text)
        for e in search_index.entities
        for text, lang in [*((v, k) for k, v in e.labels.items()), *e.alt_labels]
        if lang == "kk-Latn" and e.type == "position"
    ]
    assert latin, "the release has no kk-Latn labels"
    entity, text = next((e, t) for e, t in latin if e.label("kk") == "Бухгалтер")
    hits = search_index.search(text.lower(), types=["position"])
    assert hits[0].entity.label("kk") == "Бухгалтер"


# ---------------------------------------------------------------------------- over HTTP


def test_api_search_groups_grades_side_by_side(search_http: httpx.Client) -> None:
    r = search_http.get("/api/search", params={"q": "бухгалтер"})
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("application/json")
    assert r.headers["access-control-allow-origin"] == "*"
    body = r.json()
    first = body["groups"][0]
    assert (first["title"], first["type"], first["grades"]) == (
        "Бухгалтер",
        "position",
        ["C2", "C3"],
    )
    assert [i["id"] for i in first["items"]] == ["position/C2.02", "position/C3.02"]
    assert body["interpretation"]["words"] == ["бухгалтер"]


def test_api_search_type_filter_and_codes(search_http: httpx.Client) -> None:
    r = search_http.get("/api/search", params=[("q", "В2-1"), ("type", "grade")])
    assert r.status_code == 200
    body = r.json()
    assert body["interpretation"]["codes"] == ["B2-1"]
    assert {i["notation"] for g in body["groups"] for i in g["items"]} == {
        "B2-1-H",
        "B2-1-E",
        "B2-1-O",
    }


def test_api_search_rejects_bad_parameters(search_http: httpx.Client) -> None:
    r = search_http.get("/api/search", params={"q": "x", "type": "nonsense"})
    assert r.status_code == 422
    assert r.headers["access-control-allow-origin"] == "*"
    assert search_http.get("/api/search", params={"q": "x", "limit": "0"}).status_code == 422


def test_api_search_is_in_the_openapi_schema(search_http: httpx.Client) -> None:
    r = search_http.get("/openapi.json")
    assert r.status_code == 200
    schema = r.json()
    operation = schema["paths"]["/api/search"]["get"]
    assert {p["name"] for p in operation["parameters"]} >= {"q", "type", "limit"}
    ok = operation["responses"]["200"]["content"]["application/json"]["schema"]
    assert ok["$ref"].endswith("/SearchResponse")
    assert "SearchGroup" in schema["components"]["schemas"]


def test_search_page_escapes_the_query(search_http: httpx.Client) -> None:
    nasty = '<script>alert("x")</script> "бухгалтер'
    r = search_http.get("/search", params={"q": nasty})
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/html")
    assert "<script>alert" not in r.text
    assert "&lt;script&gt;alert(" in r.text
    assert 'value="&lt;script&gt;' in r.text  # the form keeps the query, escaped


def test_search_page_lists_grades_side_by_side(search_http: httpx.Client) -> None:
    r = search_http.get("/search", params={"q": "бухгалтер"})
    assert r.status_code == 200
    first = r.text.split('<ol class="results">', 1)[1].split("</li>", 1)[0]
    assert ">Бухгалтер</a>" in first
    # pages link an identifier's HTML document, so the reader's language stays
    assert 'href="/position/C2.02.html"' in first and 'href="/position/C3.02.html"' in first
    assert '<form method="get" action="/search"' in r.text  # works without JavaScript


def test_search_page_without_query(search_http: httpx.Client) -> None:
    r = search_http.get("/search")
    assert r.status_code == 200
    assert 'name="q"' in r.text
    assert '<ol class="results">' not in r.text


def test_every_http_worker_builds_its_index(launch: Any, search_release: Any) -> None:
    server = launch(search_release, ["--workers", "1", "--http-workers", "2"])
    with httpx.Client(base_url=server.base_url, timeout=30) as client:
        for _ in range(8):  # new connections spread over both processes
            r = client.get("/api/search", params={"q": "мейиргер"}, headers={"Connection": "close"})
            assert r.status_code == 200
            assert json.loads(r.text)["groups"][0]["grades"] == NURSE_GRADES


def test_search_page_extends_the_site_base_template(search_index: SearchIndex) -> None:
    """With an environment like the site's (kg.web.documents: StrictUndefined and its
    globals), the page extends base.html and fills its blocks, escaping the query."""
    import jinja2

    from kg.settings import DEFAULT_TEMPLATES

    assert (DEFAULT_TEMPLATES / "base.html").exists()
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(DEFAULT_TEMPLATES)),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals.update(static=lambda name: f"/static/{name}", formats={})
    env.globals.update(has_catalog=False, has_void=False, has_changes=False)
    env.globals.update(url=lambda href, lang=None: href, sparql="/sparql")  # the server's links
    from kg.web import i18n

    i18n.install(env)
    hits = search_index.search("бухгалтер")
    html = env.get_template("search.html").render(
        base_template="base.html",
        routes={},
        base_iri="",
        root="",
        q="<i>бухгалтер</i>",
        types=[],
        all_types=[("position", "Position")],
        groups=search_index.group(hits),
        total=len(hits),
        limit=50,
        alternates=[{"media_type": "application/json", "href": "/api/search?q=x", "label": "JSON"}],
        isco_codes=lambda entity: [],
        lang="kk",
        versions={},
        canonical=None,
    )
    assert html.count("<html") == 1 and html.count("<body") == 1
    assert '<div class="search-page">' in html
    assert "&lt;i&gt;бухгалтер&lt;/i&gt;" in html and "<i>бухгалтер" not in html
    assert 'href="/position/C2.02"' in html
