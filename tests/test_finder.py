"""The grade finder (kg.lookup.finder, /finder, /api/finder) and reconciliation with the facts that
tell a title's grades apart, as OpenRefine sends them.

Expectations are written by hand from data/grades.csv and data/positions.csv: Мейіргер is in
B3-1..4-H (high qualification) and B4-1..4-H (medium), one grade per category; the head of a
semi-stationary organisation is A1-2.03 (regional) and A1-3.02 (district).
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest
from search_fixtures import FACT_MATCHES, FACT_QUERIES, SEMI_STATIONARY_HEAD

pytest_plugins = ["search_fixtures"]

OPENREFINE_FORM = "application/x-www-form-urlencoded; charset=UTF-8"


def finder(http: httpx.Client, **params: str) -> dict[str, Any]:
    r = http.get("/api/finder", params=params)
    assert r.status_code == 200, r.text
    return r.json()


def reconcile(http: httpx.Client, queries: dict[str, Any]) -> dict[str, Any]:
    """A batch POSTed as OpenRefine does: form-encoded ``queries=<JSON>``."""
    body = urlencode({"queries": json.dumps(queries, ensure_ascii=False)})
    r = http.post("/reconcile", content=body, headers={"Content-Type": OPENREFINE_FORM})
    assert r.status_code == 200, r.text
    return r.json()


# ---------------------------------------------------------------------------- the finder


def test_a_title_in_several_grades_asks_only_what_separates_them(search_http: httpx.Client) -> None:
    body = finder(search_http, title="медсестра")
    assert body["resolved"] == "Мейіргер" and body["answer"] is None
    assert [q["property"] for q in body["questions"]] == ["qualification-level", "category"]
    quals = [o["label_kk"] for o in body["questions"][0]["options"]]
    assert quals == ["Біліктілігі жоғары деңгей", "Біліктілігі орташа деңгей"]  # the law's words
    cats = [o["id"] for o in body["questions"][1]["options"]]
    assert cats == ["category/highest", "category/first", "category/second", "category/none"]
    assert len(body["candidates"]) == 8


@pytest.mark.parametrize(
    ("qual", "category", "grade"),
    [
        ("medium", "first", "B4-2-H"),
        ("орташа", "бірінші", "B4-2-H"),
        ("средний", "первая", "B4-2-H"),
        ("high", "санаты жоқ", "B3-4-H"),
        ("жоғары", "без категории", "B3-4-H"),
        ("medium", "highest", "B4-1-H"),
    ],
)
def test_the_nurse_question(
    search_http: httpx.Client, qual: str, category: str, grade: str
) -> None:
    body = finder(
        search_http, title="Мейіргер", **{"qualification-level": qual, "category": category}
    )
    answer = body["answer"]
    assert answer is not None, body
    assert answer["grade"]["notation"] == grade
    assert answer["block"]["notation"] == "B"
    assert answer["tier"]["notation"] == grade[:2]
    assert answer["step"] == grade[3]
    assert answer["sector"]["id"] == "sector/healthcare"
    assert answer["quote"]["text"].casefold() == "мейіргер"
    assert answer["quote"]["id"].startswith("quote/position/" + grade)
    decided = {d["property"] for d in answer["decided_by"]}
    assert decided == {"qualification-level", "category"}
    assert "title=" in body["url"] and "category=" in body["url"]


def test_category_words_in_the_title_count_as_given(search_http: httpx.Client) -> None:
    body = finder(search_http, title="мейіргер бірінші санатты")
    assert body["given"] == {"category": "category/first"}
    assert [q["property"] for q in body["questions"]] == ["qualification-level"]
    body = finder(search_http, title="врач второй категории")
    assert body["answer"]["position"]["notation"] == "B2-3-H.01"


def test_block_a_asks_for_the_significance_level(search_http: httpx.Client) -> None:
    body = finder(search_http, title=SEMI_STATIONARY_HEAD)
    assert [q["property"] for q in body["questions"]] == ["significance-level"]
    body = finder(search_http, title=SEMI_STATIONARY_HEAD, **{"significance-level": "областной"})
    assert body["answer"]["position"]["notation"] == "A1-2.03"
    body = finder(search_http, title=SEMI_STATIONARY_HEAD, **{"significance-level": "district"})
    assert body["answer"]["position"]["notation"] == "A1-3.02"


def test_a_title_in_one_grade_is_answered_at_once(search_http: httpx.Client) -> None:
    body = finder(search_http, title="завхоз")
    assert body["answer"]["position"]["notation"] == "C3.25"
    assert body["questions"] == [] and body["answer"]["decided_by"] == []


def test_a_word_naming_no_position(search_http: httpx.Client) -> None:
    body = finder(search_http, title="водитель")
    assert body["resolved"] == "" and body["answer"] is None and body["suggestions"]
    page = search_http.get("/en/finder", params={"title": "водитель"}).text
    assert "There is no such position in this register." in page


def test_values_that_name_nothing_are_said_so(search_http: httpx.Client) -> None:
    body = finder(search_http, title="Мейіргер", category="тринадцатая")
    assert body["not_understood"] == {"category": "тринадцатая"}
    assert body["answer"] is None


def test_bad_finder_requests_are_4xx(search_http: httpx.Client) -> None:
    r = search_http.get("/api/finder", params={"title": "x" * 600})
    assert r.status_code == 422
    r = search_http.get("/finder", params={"category": "x" * 300})
    assert r.status_code == 422


def test_the_page_works_without_javascript_and_is_shareable(search_http: httpx.Client) -> None:
    page = search_http.get("/finder", params={"title": "Мейіргер"}).text
    assert '<form method="get" action="/finder"' in page
    assert 'type="radio" name="qualification-level" value="medium"' in page
    assert 'type="radio" name="category" value="first"' in page
    assert "Санат" in page and "Біліктілік деңгейі" in page  # the questions, in the law's words
    share = "/finder?" + urlencode(
        {"title": "Мейіргер", "qualification-level": "medium", "category": "first"}
    )
    answer = search_http.get(share).text
    assert '<a href="/grade/B4-2-H.html"><code>B4-2-H</code></a>' in answer
    assert "Бірінші санат" in answer and "Біліктілігі орташа деңгей" in answer
    assert 'href="/quote/position/B4-2-H.06/title.html"' in answer
    assert share.replace("&", "&amp;") in answer  # the link to this answer


def test_the_finder_is_in_the_openapi_schema(search_http: httpx.Client) -> None:
    schema = search_http.get("/openapi.json").json()
    operation = schema["paths"]["/api/finder"]["get"]
    names = {p["name"] for p in operation["parameters"]}
    assert names == {
        "title",
        "qualification-level",
        "category",
        "significance-level",
        "institution-type",
    }
    assert operation["responses"]["200"]["content"]["application/json"]["schema"]["$ref"].endswith(
        "/FinderResponse"
    )


# ---------------------------------------------------------------------------- reconciliation


def test_openrefine_batch_with_properties(search_http: httpx.Client) -> None:
    body = reconcile(search_http, FACT_QUERIES)
    for key, want in FACT_MATCHES.items():
        first = body[key]["result"][0]
        assert (first["id"], first["match"]) == (want, True), (key, body[key]["result"][:3])


def test_reconciliation_without_facts_does_not_guess(search_http: httpx.Client) -> None:
    body = reconcile(
        search_http,
        {
            "q0": {"query": "Мейіргер", "type": "position"},
            "q1": {"query": "мейіргер бірінші санатты", "type": "position"},
            "q2": {"query": "водитель", "type": "position"},
            "q3": {"query": "водитель"},
            "q4": {"query": "врач второй категории", "type": "position"},
        },
    )
    assert not any(c["match"] for c in body["q0"]["result"])
    first_two = {c["id"] for c in body["q1"]["result"][:2]}
    assert first_two == {"position/B3-2-H.01", "position/B4-2-H.06"}
    assert not any(c["match"] for c in body["q1"]["result"])
    assert not any(c["match"] for c in body["q2"]["result"] + body["q3"]["result"])
    assert body["q4"]["result"][0]["id"] == "position/B2-3-H.01"


def test_fact_properties_in_property_suggest_and_extension(search_http: httpx.Client) -> None:
    manifest = search_http.get("/reconcile").json()
    assert manifest["suggest"]["property"]["service_path"] == "/suggest/property"
    names = {
        p["id"]
        for p in search_http.get("/reconcile/suggest/property", params={"type": "position"}).json()[
            "result"
        ]
    }
    assert {"qualification-level", "category", "significance-level"} <= names
    for prefix, pid in (
        ("санат", "category"),
        ("категория", "category"),
        ("квалиф", "qualification-level"),
    ):
        found = search_http.get("/reconcile/suggest/property", params={"prefix": prefix}).json()
        assert pid in {p["id"] for p in found["result"]}, prefix
    proposed = search_http.get("/reconcile/properties", params={"type": "position"}).json()
    assert {"qualification-level", "category", "significance-level"} <= {
        p["id"] for p in proposed["properties"]
    }
    extend = {
        "ids": ["position/B4-2-H.06"],
        "properties": [{"id": "category"}, {"id": "qualification-level"}],
    }
    r = search_http.post(
        "/reconcile",
        content=urlencode({"extend": json.dumps(extend)}),
        headers={"Content-Type": OPENREFINE_FORM},
    ).json()
    row = r["rows"]["position/B4-2-H.06"]
    assert row["category"] == [{"id": "category/first", "name": "Бірінші санат"}]
    assert row["qualification-level"][0]["id"] == "qualification-level/medium"


def test_a_russian_reader_gets_the_laws_words_with_russian_beside_them(
    search_http: httpx.Client,
) -> None:
    query = {"title": "Мейіргер", "qualification-level": "medium", "category": "first"}
    page = search_http.get("/ru/finder", params=query).text
    assert '<html lang="ru">' in page
    # the deciding facts: the law's Kazakh words, the Russian ones beside them
    assert '<strong lang="kk">Бірінші санат</strong>' in page
    assert '<span class="meta" lang="ru">Первая категория</span>' in page
    # the shareable link keeps the reader's language
    assert 'href="/ru/finder?title=' in page
