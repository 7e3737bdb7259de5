"""The grade finder (kg.lookup.finder) called in-process: the same questions as the HTTP tests
of test_finder.py, answered by `Finder` itself, plus its title list and value reading.

Expectations are written by hand from data/grades.csv and data/positions.csv: Мейіргер is in
B3-1..4-H (high qualification) and B4-1..4-H (medium), one grade per category; the head of a
semi-stationary organisation is A1-2.03 (regional) and A1-3.02 (district); Завхоз is C3.25.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from search_fixtures import SEMI_STATIONARY_HEAD

from kg.lookup.finder import Finder
from kg.lookup.search import SearchIndex

pytest_plugins = ["search_fixtures"]

NURSES = [
    "B3-1-H.01",
    "B3-2-H.01",
    "B3-3-H.01",
    "B3-4-H.01",
    "B4-1-H.05",
    "B4-2-H.06",
    "B4-3-H.06",
    "B4-4-H.04",
]


@pytest.fixture(scope="module")
def finder(search_release: Path, search_index: SearchIndex) -> Finder:
    return Finder.from_release(search_release, search_index)


def ask(finder: Finder, title: str, url: str = "", **given: str) -> dict[str, Any]:
    return finder.as_json(finder.find(title, given), url)


def test_a_title_in_several_grades_asks_only_what_separates_them(finder: Finder) -> None:
    body = ask(finder, "медсестра")
    assert body["title"] == "медсестра"
    assert body["resolved"] == "Мейіргер" and body["answer"] is None
    assert body["given"] == {} and body["not_understood"] == {} and body["suggestions"] == []
    questions = body["questions"]
    assert [q["property"] for q in questions] == ["qualification-level", "category"]
    assert questions[1]["label_kk"] == "Санат"
    assert questions[0]["label_kk"] == "Біліктілік деңгейі"
    assert questions[1]["label_en"] == "Category"
    quals = [o["label_kk"] for o in questions[0]["options"]]
    assert quals == ["Біліктілігі жоғары деңгей", "Біліктілігі орташа деңгей"]  # the law's words
    assert [o["id"] for o in questions[0]["options"]] == [
        "qualification-level/high",
        "qualification-level/medium",
    ]
    assert questions[1]["options"][1]["label_ru"] == "Первая категория"
    assert questions[1]["options"][1]["label_kk"] == "Бірінші санат"
    cats = [o["id"] for o in questions[1]["options"]]
    assert cats == ["category/highest", "category/first", "category/second", "category/none"]
    assert [c["notation"] for c in body["candidates"]] == NURSES
    assert [c["grade"] for c in body["candidates"]] == [n.split(".")[0] for n in NURSES]
    assert body["candidates"][0]["id"] == "position/B3-1-H.01"


@pytest.mark.parametrize(
    ("qual", "category", "grade", "position"),
    [
        ("medium", "first", "B4-2-H", "B4-2-H.06"),
        ("орташа", "бірінші", "B4-2-H", "B4-2-H.06"),
        ("средний", "первая", "B4-2-H", "B4-2-H.06"),
        ("high", "санаты жоқ", "B3-4-H", "B3-4-H.01"),
        ("жоғары", "без категории", "B3-4-H", "B3-4-H.01"),
        ("medium", "highest", "B4-1-H", "B4-1-H.05"),
        ("qualification-level/medium", "category/first", "B4-2-H", "B4-2-H.06"),
    ],
)
def test_the_nurse_question(
    finder: Finder, qual: str, category: str, grade: str, position: str
) -> None:
    url = "https://example.org/finder?title=x"
    body = ask(finder, "Мейіргер", url, **{"qualification-level": qual, "category": category})
    assert body["url"] == url
    assert body["questions"] == []
    answer = body["answer"]
    assert answer is not None, body
    assert answer["position"]["notation"] == position
    assert answer["position"]["id"] == "position/" + position
    assert answer["position"]["label_kk"] == "Мейіргер"
    assert answer["position"]["label_ru"] == "Медицинская сестра"
    assert answer["grade"]["notation"] == grade
    assert answer["grade"]["id"] == "grade/" + grade
    assert answer["block"]["notation"] == "B"
    assert answer["block"]["id"] == "block/B"
    assert answer["tier"]["notation"] == grade[:2]
    assert answer["step"] == grade[3]
    assert answer["sector"]["id"] == "sector/healthcare"
    assert answer["sector"]["label_en"] == "Healthcare"
    assert answer["quote"]["text"].casefold() == "мейіргер"
    assert answer["quote"]["id"] == f"quote/position/{position}/title"
    decided = {d["property"]: d["id"] for d in answer["decided_by"]}
    assert decided == {
        "qualification-level": "qualification-level/" + ("high" if grade[1] == "3" else "medium"),
        "category": "category/"
        + {"1": "highest", "2": "first", "3": "second", "4": "none"}[grade[3]],
    }
    labels = {d["property"]: d["label_en"] for d in answer["decided_by"]}
    assert labels["category"].endswith("category")


def test_category_words_in_the_title_count_as_given(finder: Finder) -> None:
    body = ask(finder, "мейіргер бірінші санатты")
    assert body["given"] == {"category": "category/first"}
    assert body["resolved"] == "Мейіргер"
    assert [q["property"] for q in body["questions"]] == ["qualification-level"]
    assert [c["notation"] for c in body["candidates"]] == ["B3-2-H.01", "B4-2-H.06"]
    body = ask(finder, "врач второй категории")
    assert body["answer"]["position"]["notation"] == "B2-3-H.01"


def test_block_a_asks_for_the_significance_level(finder: Finder) -> None:
    body = ask(finder, SEMI_STATIONARY_HEAD)
    assert [q["property"] for q in body["questions"]] == ["significance-level"]
    assert [c["notation"] for c in body["candidates"]] == ["A1-2.03", "A1-3.02"]
    body = ask(finder, SEMI_STATIONARY_HEAD, **{"significance-level": "областной"})
    assert body["answer"]["position"]["notation"] == "A1-2.03"
    assert body["answer"]["sector"] is None and body["answer"]["step"] == "2"
    body = ask(finder, SEMI_STATIONARY_HEAD, **{"significance-level": "district"})
    assert body["answer"]["position"]["notation"] == "A1-3.02"


def test_a_title_in_one_grade_is_answered_at_once(finder: Finder) -> None:
    body = ask(finder, "завхоз")
    assert body["answer"]["position"]["notation"] == "C3.25"
    assert body["answer"]["step"] == ""
    assert body["questions"] == [] and body["answer"]["decided_by"] == []


def test_a_word_naming_no_position(finder: Finder) -> None:
    r = finder.find("водитель")
    assert r.resolved == "" and r.answer is None and r.candidates == [] and r.suggestions
    body = finder.as_json(r)
    assert body["resolved"] == "" and body["answer"] is None
    assert all(set(s) == {"id", "label"} for s in body["suggestions"])
    assert finder.find("   ").suggestions == []


def test_values_that_name_nothing_are_said_so(finder: Finder) -> None:
    body = ask(finder, "Мейіргер", category="тринадцатая")
    assert body["not_understood"] == {"category": "тринадцатая"}
    assert body["given"] == {}
    assert body["answer"] is None
    # facts the finder does not ask about, and empty values, are left aside
    body = ask(finder, "Мейіргер", salary="100", category="")
    assert body["not_understood"] == {} and body["given"] == {}


def test_understand(finder: Finder) -> None:
    assert finder.understand("category", "category/first") == "category/first"
    assert finder.understand("category", "first") == "category/first"
    assert finder.understand("category", "  бірінші ") == "category/first"
    assert finder.understand("category", "первая") == "category/first"
    assert finder.understand("category", "") is None
    assert finder.understand("category", "   ") is None
    assert finder.understand("category", "qualification-level/high") is None  # another kind
    assert finder.understand("qualification-level", "high") == "qualification-level/high"
    assert finder.understand("significance-level", "облыстық") == "significance-level/regional"


def test_resolve(finder: Finder) -> None:
    assert finder.resolve("Мейіргер") == ("мейиргер", {})
    assert finder.resolve("медсестра") == ("мейиргер", {})
    assert finder.resolve("мейіргер бірінші санатты") == (
        "мейиргер",
        {"category": "category/first"},
    )
    assert finder.resolve("qwxz plugh") == ("", {})


def test_titles_in_register_order(finder: Finder) -> None:
    titles = finder.titles()
    assert titles[0] == (
        "ЗТМО басшысы",
        "Руководитель Государственного центра по выплате пенсий",
    )
    kk = [t[0] for t in titles]
    assert len(kk) == len(set(kk))  # one row per title
    assert "Мейіргер" in kk and "Бухгалтер" in kk
    # the register's order: block A's titles before block C's
    assert kk.index("ЗТМО басшысы") < kk.index("Бухгалтер")
    assert finder.titles() is titles


def test_the_answer_in_full(finder: Finder) -> None:
    """Every field of one answer, from data/positions.csv, data/position_translations.csv,
    data/blocks.csv, data/categories.csv and the grade names the release states."""
    given = {"qualification-level": "medium", "category": "first"}
    body = finder.as_json(finder.find("Мейіргер", given))
    assert body["url"] == ""
    answer = body["answer"]
    assert answer["position"] == {
        "id": "position/B4-2-H.06",
        "notation": "B4-2-H.06",
        "label_kk": "Мейіргер",
        "label_ru": "Медицинская сестра",
        "label_en": "Nurse",
    }
    assert answer["grade"] == {
        "id": "grade/B4-2-H",
        "notation": "B4-2-H",
        "label_kk": "B4 звеносы, 2-саты (Денсаулық сақтау)",
        "label_en": "Tier B4, step 2 (Healthcare)",
    }
    assert answer["block"] == {
        "id": "block/B",
        "notation": "B",
        "label_kk": "Негізгі персонал",
        "label_en": "Core staff",
    }
    assert answer["decided_by"] == [
        {
            "property": "qualification-level",
            "id": "qualification-level/medium",
            "label_kk": "Біліктілігі орташа деңгей",
            "label_en": "Medium qualification level",
        },
        {
            "property": "category",
            "id": "category/first",
            "label_kk": "Бірінші санат",
            "label_en": "First category",
        },
    ]


def test_question_options_in_three_languages(finder: Finder) -> None:
    body = ask(finder, "Мейіргер", **{"qualification-level": "medium"})
    assert [q["property"] for q in body["questions"]] == ["category"]
    assert body["questions"][0]["options"][1] == {
        "id": "category/first",
        "label_kk": "Бірінші санат",
        "label_ru": "Первая категория",
        "label_en": "First category",
    }
    assert [c["notation"] for c in body["candidates"]] == [
        "B4-1-H.05",
        "B4-2-H.06",
        "B4-3-H.06",
        "B4-4-H.04",
    ]


def test_an_answer_without_quotes_has_none(search_index: SearchIndex) -> None:
    bare = Finder(search_index)  # no quotes read from a release
    answer = bare.as_json(bare.find("завхоз"))["answer"]
    assert answer["position"]["notation"] == "C3.25" and answer["quote"] is None


def test_other_facts_and_empty_values_are_skipped_not_the_rest(finder: Finder) -> None:
    body = ask(finder, "Мейіргер", salary="100", category="", **{"qualification-level": "high"})
    assert body["given"] == {"qualification-level": "qualification-level/high"}
    assert [q["property"] for q in body["questions"]] == ["category"]
    assert ask(finder, "водитель")["given"] == {}


def test_a_fact_no_candidate_has_leaves_none(finder: Finder) -> None:
    body = ask(finder, "Мейіргер", **{"significance-level": "district"})
    assert body["given"] == {"significance-level": "significance-level/district"}
    assert body["candidates"] == [] and body["answer"] is None and body["questions"] == []
