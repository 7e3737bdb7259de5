"""The reconciliation service (kg.lookup.reconcile) called in-process: `Reconciler` answers
the batches, extension requests, suggestions and previews that the HTTP tests of
test_reconcile.py and test_finder.py send through a server, so that a change to it is seen
by tests in this process too.

Expectations are written by hand from data/positions.csv, data/grades.csv (grade names as the
release states them: "C2 звеносы", "B2 звеносы, 1-саты (Өзге де салалар)"),
data/lifecycle.csv (B2-1-O.08 was split into B2-1-O.17 and B2-1-O.18) and data/categories.csv.
"""

from __future__ import annotations

from typing import Any

import pyoxigraph as ox
import pytest
from search_fixtures import FACT_MATCHES, FACT_QUERIES

from kg.lookup.reconcile import (
    PROPERTY_BY_ID,
    ReconcileError,
    Reconciler,
    parse_json_param,
    service_error,
)
from kg.lookup.search import SearchIndex
from kg.uris import Uris

pytest_plugins = ["search_fixtures"]


@pytest.fixture(scope="module")
def rec(search_index: SearchIndex) -> Reconciler:
    return Reconciler(search_index)


def batch(rec: Reconciler, schemas: Any, queries: dict[str, Any]) -> dict[str, Any]:
    body = rec.reconcile(queries)
    schemas.check("reconciliation-result-batch", body)
    assert set(body) == set(queries)
    for answer in body.values():
        for c in answer["result"]:
            assert 0 <= c["score"] <= 100
            assert c["name"] and c["id"] and c["type"][0]["id"]
    return body


def ids(result: list[dict[str, Any]]) -> list[str]:
    return [c["id"] for c in result]


def matches(result: list[dict[str, Any]]) -> list[str]:
    return [c["id"] for c in result if c["match"]]


# ---------------------------------------------------------------------------- candidates


def test_a_plain_title_in_two_grades(rec: Reconciler, reconciliation_schemas: Any) -> None:
    body = batch(rec, reconciliation_schemas, {"q0": {"query": "бухгалтер", "type": "position"}})
    result = body["q0"]["result"]
    assert ids(result[:2]) == ["position/C2.02", "position/C3.02"]
    first = result[0]
    assert first["name"] == "Бухгалтер"
    assert first["type"] == [{"id": "position", "name": "Position"}]
    assert first["description"] == "C2.02 · C2 звеносы"
    assert first["features"] == [{"id": "name", "value": first["score"]}]
    assert first["score"] == 100
    assert all(c["score"] < result[1]["score"] for c in result[2:])  # chief accountants lower
    assert matches(result) == []  # the same title in two grades is ambiguous
    assert len(result) == 9  # the 2 accountants and the 7 chief accountants
    nurses = rec.reconcile({"q": {"query": "мейіргер", "type": "position"}})["q"]["result"]
    assert len(nurses) == 10  # the default limit (8 nurses, 4 dietary nurses, ...)
    limited = rec.reconcile({"q": {"query": "бухгалтер", "type": "position", "limit": 3}})
    assert len(limited["q"]["result"]) == 3
    assert len(rec.reconcile({"q": {"query": "мейіргер", "limit": 0}})["q"]["result"]) == 10


def test_types_as_a_string_a_list_or_an_alias(rec: Reconciler) -> None:
    for kind in (
        "position",
        ["position"],
        "Position",
        "kg:Position",
        "https://reg1042.example.org/def#Position",
    ):
        result = rec.reconcile({"q": {"query": "ЗТМО басшысы", "type": kind}})["q"]["result"]
        assert {c["type"][0]["id"] for c in result} == {"position"}, kind
        assert matches(result) == ["position/A1-1.01"], kind
    for alias in ("significance-level", "significancelevel", "SignificanceLevel"):
        assert rec.resolve_type(alias) == "significance-level"
    assert rec.resolve_type(" institutiontype ") == "institution-type"
    with pytest.raises(ReconcileError, match="unknown type"):
        rec.resolve_type("salary")
    with pytest.raises(ReconcileError, match="must be a string"):
        rec.resolve_type(3)
    # no type: every type may answer
    result = rec.reconcile({"q": {"query": "ЗТМО", "type": ""}})["q"]["result"]
    assert "institution-type/ZTMO" in ids(result)


def test_unambiguous_strong_candidates_match(rec: Reconciler, reconciliation_schemas: Any) -> None:
    body = batch(
        rec,
        reconciliation_schemas,
        {
            "a": {"query": "ЗТМО басшысы"},
            "c": {"query": "C2.02"},
            "d": {
                "query": "Зейнетақы төлеу жөніндегі мемлекеттік орталық",
                "type": "institution-type",
            },
            "e": {"query": "B2-1", "type": "grade"},
        },
    )
    assert matches(body["a"]["result"]) == ["position/A1-1.01"]
    assert matches(body["c"]["result"]) == ["position/C2.02"]
    assert matches(body["d"]["result"]) == ["institution-type/ZTMO"]
    assert set(ids(body["e"]["result"])) == {"grade/B2-1-H", "grade/B2-1-E", "grade/B2-1-O"}
    assert matches(body["e"]["result"]) == []


def test_nonsense_never_matches(rec: Reconciler) -> None:
    body = rec.reconcile(
        {
            "q0": {"query": "qwxz plugh zzzzzz"},
            "q1": {"query": "бухгалтер космонавт астронавт", "type": "position"},
            "q3": {"query": "бас"},
        }
    )
    assert body["q0"]["result"] == []
    for answer in body.values():
        assert matches(answer["result"]) == []
    assert len(body["q3"]["result"]) >= 5


def test_constraints_settle_the_grade(rec: Reconciler, reconciliation_schemas: Any) -> None:
    body = batch(
        rec,
        reconciliation_schemas,
        {
            "q0": {
                "query": "Бухгалтер",
                "type": "position",
                "properties": [{"pid": "tier", "v": "С2"}],  # Cyrillic С
            },
            "q1": {
                "query": "мейиргер",
                "properties": [{"pid": "grade", "v": {"id": "grade/B3-2-H"}}],
            },
            "q2": {"query": "мейиргер", "properties": [{"pid": "sector", "v": "healthcare"}]},
            "q3": {"query": "", "type": "tier", "properties": [{"pid": "notation", "v": "C2"}]},
            "q4": {"query": "Бухгалтер", "properties": [{"pid": "tier", "v": ["C2", "C3"]}]},
        },
    )
    assert ids(body["q0"]["result"]) == ["position/C2.02"]
    assert matches(body["q0"]["result"]) == ["position/C2.02"]
    assert matches(body["q1"]["result"]) == ["position/B3-2-H.01"]
    assert matches(body["q2"]["result"]) == []  # eight nurses in healthcare
    assert ids(body["q3"]["result"]) == ["tier/C2"]
    assert ids(body["q4"]["result"]) == ["position/C2.02", "position/C3.02"]


def test_facts_given_as_properties(rec: Reconciler, reconciliation_schemas: Any) -> None:
    body = batch(rec, reconciliation_schemas, FACT_QUERIES)
    for key, want in FACT_MATCHES.items():
        first = body[key]["result"][0]
        assert (first["id"], first["match"]) == (want, True), (key, body[key]["result"][:3])


def test_facts_in_the_words_rank_the_grades_that_have_them(rec: Reconciler) -> None:
    body = rec.reconcile(
        {
            "q0": {"query": "Мейіргер", "type": "position"},
            "q1": {"query": "мейіргер бірінші санатты", "type": "position"},
            "q4": {"query": "врач второй категории", "type": "position"},
        }
    )
    assert not any(c["match"] for c in body["q0"]["result"])
    q1 = body["q1"]["result"]
    assert set(ids(q1[:2])) == {"position/B3-2-H.01", "position/B4-2-H.06"}
    assert not any(c["match"] for c in q1)
    # nurses of another category count UNFIT_FACTOR (0.8) of their name score
    fits = {c["id"]: c["score"] for c in q1}
    assert fits["position/B3-1-H.01"] == pytest.approx(0.8 * fits["position/B3-2-H.01"], abs=0.1)
    assert body["q4"]["result"][0]["id"] == "position/B2-3-H.01"


def test_a_soft_constraint_weighs_without_dropping(rec: Reconciler) -> None:
    """A value of a non-structural property that names no fact (label-ru) lowers the score of
    the candidates that lack it to 0.8 of their name score and drops none."""
    plain = rec.reconcile({"q": {"query": "бухгалтер", "type": "position"}})["q"]["result"]
    soft = rec.reconcile(
        {
            "q": {
                "query": "бухгалтер",
                "type": "position",
                "properties": [{"pid": "label-ru", "v": "Главный бухгалтер"}],
            }
        }
    )["q"]["result"]
    before = {c["id"]: c["score"] for c in plain}
    after = {c["id"]: c["score"] for c in soft}
    assert after["position/C2.02"] == pytest.approx(0.8 * before["position/C2.02"], abs=0.1)
    assert matches(soft) == []
    both = rec.reconcile(
        {
            "q": {
                "query": "бухгалтер",
                "type": "position",
                "properties": [
                    {"pid": "label-ru", "v": "Бухгалтер"},
                    {"pid": "label-en", "v": "Nobody"},
                ],
            }
        }
    )["q"]["result"]
    scores = {c["id"]: c["score"] for c in both}
    # one of two soft constraints met: 0.8 + 0.2 * 1/2 = 0.9
    assert scores["position/C2.02"] == pytest.approx(0.9 * before["position/C2.02"], abs=0.1)


@pytest.mark.parametrize(
    ("query", "phrase"),
    [
        ({"query": "x", "properties": [{"pid": "tier"}]}, "needs 'pid' and 'v'"),
        ({"query": "x", "properties": [{"v": "C2"}]}, "needs 'pid' and 'v'"),
        ({"query": "x", "properties": ["tier"]}, "needs 'pid' and 'v'"),
        ({"query": "x", "properties": [{"pid": "salary", "v": 1}]}, "unknown property"),
        ({"query": "x", "properties": [{"pid": "tier", "v": {"name": "C2"}}]}, "must be a string"),
        ({"query": "x", "properties": [{"pid": "tier", "v": [None]}]}, "must be a string"),
        ({"query": "x", "properties": {"pid": "tier", "v": "C2"}}, "must be a list"),
        ({"query": 3}, "must be a string"),
        ({"query": "  "}, "needs a 'query'"),
        ({"query": "x", "limit": -1}, "non-negative"),
        ({"query": "x", "limit": "5"}, "non-negative"),
        ({"query": "x", "limit": True}, "non-negative"),
        ({"query": "x", "limit": float("inf")}, "non-negative"),
        ({"query": "x", "type": "salary"}, "unknown type"),
        ("бухгалтер", "must be a JSON object"),
    ],
)
def test_bad_queries(rec: Reconciler, query: Any, phrase: str) -> None:
    with pytest.raises(ReconcileError, match=phrase):
        rec.reconcile({"q0": query})


def test_well_formed_values_are_accepted(rec: Reconciler) -> None:
    for v in ("C2", 2, 2.0, True, {"id": "tier/C2"}, ["C2", {"id": "tier/C3"}]):
        rec.reconcile({"q": {"query": "бухгалтер", "properties": [{"pid": "tier", "v": v}]}})
    with pytest.raises(ReconcileError, match="JSON object of queries"):
        rec.reconcile([{"query": "x"}])


def test_the_batch_bound(search_index: SearchIndex) -> None:
    small = Reconciler(search_index, max_batch=2)
    two = {f"q{i}": {"query": "Бухгалтер"} for i in range(2)}
    assert len(small.reconcile(two)) == 2
    with pytest.raises(ReconcileError, match="at most 2 queries"):
        small.reconcile({**two, "q2": {"query": "x"}})


# ---------------------------------------------------------------------------- descriptions


def test_descriptions(rec: Reconciler, search_index: SearchIndex) -> None:
    e = search_index.entity
    assert rec.describe(e("position/C2.02")) == "C2.02 · C2 звеносы"
    assert rec.describe(e("position/B2-1-O.17")) == (
        "B2-1-O.17 · B2 звеносы, 1-саты (Өзге де салалар)"
    )
    assert rec.describe(e("position/B2-1-O.08")) == (
        "B2-1-O.08 · B2 звеносы, 1-саты (Өзге де салалар)"
        " · deprecated, replaced by B2-1-O.17, B2-1-O.18"
    )
    assert rec.describe(e("grade/C2")) == "C2 · Tier C2"
    assert rec.describe(e("category/first")) == "first · First category"


# ---------------------------------------------------------------------------- extension


def test_extend(rec: Reconciler) -> None:
    names = ["notation", "block", "tier", "step", "sector", "grade", "institution-type", "uri"]
    body = rec.extend(
        {
            "ids": ["position/C2.02", "position/B3-1-H.01", "position/A1-1.01", "no/such-thing"],
            "properties": [{"id": p} for p in names[:-1]]
            + [{"id": "uri", "settings": {"lang": "en"}}],
        }
    )
    assert set(body) == {"meta", "rows"}
    assert [m["id"] for m in body["meta"]] == names
    assert body["meta"][1] == {
        "id": "block",
        "name": "Block",
        "type": {"id": "block", "name": "Block"},
    }
    assert body["meta"][0] == {"id": "notation", "name": "Notation"}
    rows = body["rows"]
    accountant = rows["position/C2.02"]
    assert accountant["notation"] == [{"str": "C2.02"}]
    assert accountant["block"] == [
        {"id": "block/C", "name": rec.index.entity("block/C").label("kk")}
    ]
    assert [v["id"] for v in accountant["tier"]] == ["tier/C2"]
    assert accountant["grade"] == [{"id": "grade/C2", "name": "C2 звеносы"}]
    assert accountant["step"] == [] and accountant["sector"] == []
    assert accountant["uri"] == [{"str": "https://reg1042.example.org/position/C2.02"}]
    nurse = rows["position/B3-1-H.01"]
    assert nurse["step"] == [{"str": "1"}]
    assert [v["id"] for v in nurse["sector"]] == ["sector/healthcare"]
    assert [v["id"] for v in rows["position/A1-1.01"]["institution-type"]] == [
        "institution-type/ZTMO"
    ]
    assert rows["no/such-thing"] == {p: [] for p in names}


def test_extend_facts_and_languages(rec: Reconciler) -> None:
    body = rec.extend(
        {
            "ids": ["position/B4-2-H.06"],
            "properties": [
                {"id": "category"},
                {"id": "qualification-level", "settings": {"lang": "ru"}},
                {"id": "sector", "settings": {"lang": "en"}},
            ],
        }
    )
    row = body["rows"]["position/B4-2-H.06"]
    assert row["category"] == [{"id": "category/first", "name": "Бірінші санат"}]
    assert row["qualification-level"] == [
        {"id": "qualification-level/medium", "name": "Средний уровень квалификации"}
    ]
    assert row["sector"] == [{"id": "sector/healthcare", "name": "Healthcare"}]


def test_extend_labels(rec: Reconciler) -> None:
    body = rec.extend(
        {
            "ids": ["position/C2.02"],
            "properties": [{"id": "label-kk"}, {"id": "label-ru"}, {"id": "label-kk-latn"}],
        }
    )
    row = body["rows"]["position/C2.02"]
    assert row["label-kk"][0] == {"str": "Бухгалтер"}
    assert row["label-ru"][0] == {"str": "Бухгалтер"}
    assert {"str": "Buhgalter"} in row["label-kk-latn"]


@pytest.mark.parametrize(
    ("request_", "phrase"),
    [
        ({"ids": ["position/C2.02"], "properties": [{"id": "salary"}]}, "unknown property"),
        ({"ids": "position/C2.02", "properties": [{"id": "tier"}]}, "'ids' must be a list"),
        ({"ids": ["x"], "properties": ["tier"]}, "'properties' must be a list"),
        (
            {"ids": ["x"], "properties": [{"id": "tier", "settings": {"lang": "de"}}]},
            "unknown lang",
        ),
        ({"ids": ["x"], "properties": [{"id": "tier", "settings": "en"}]}, "settings of 'tier'"),
        (["position/C2.02"], "JSON object"),
    ],
)
def test_bad_extension_requests(rec: Reconciler, request_: Any, phrase: str) -> None:
    with pytest.raises(ReconcileError, match=phrase):
        rec.extend(request_)


def test_isco_codes_follow_the_qualification_level(rec: Reconciler) -> None:
    """data/isco_mappings.csv: an accountant is 2411 at high (C2) and 3313 at medium (C3)
    qualification, a nurse 2221 (B3, high) and 3221 (B4, medium)."""
    refs = ["position/C2.02", "position/C3.02", "position/B3-1-H.01", "position/B4-1-H.05"]
    body = rec.extend(
        {"ids": refs, "properties": [{"id": "isco"}, {"id": "isco-mapping"}, {"id": "occupation"}]}
    )
    rows = body["rows"]
    assert [rows[i]["isco"] for i in refs] == [
        [{"str": "2411"}],
        [{"str": "3313"}],
        [{"str": "2221"}],
        [{"str": "3221"}],
    ]
    assert rows["position/C2.02"]["isco-mapping"] == [{"str": "closeMatch 2411"}]
    assert [v["name"] for v in rows["position/C2.02"]["occupation"]] == ["Бухгалтер"]
    by_isco = rec.reconcile(
        {
            "q": {
                "query": "бухгалтер",
                "type": "position",
                "properties": [{"pid": "isco", "v": "2411"}],
            }
        }
    )
    assert matches(by_isco["q"]["result"]) == ["position/C2.02"]


# ---------------------------------------------------------------------------- suggest, preview


def test_suggestions(rec: Reconciler) -> None:
    found = rec.suggest_entities("мейір", ["position"])["result"]
    assert found and all(s["notable"] == [{"id": "position", "name": "Position"}] for s in found)
    assert "мейіргер" in found[0]["name"].lower()
    assert found[0]["description"].startswith(found[0]["id"].split("/")[1])
    assert rec.suggest_entities("  ")["result"] == []
    more = rec.suggest_entities("мейір", ["position"], cursor=2, limit=2)["result"]
    assert [s["id"] for s in more] == [s["id"] for s in found[2:4]]
    assert [t["id"] for t in rec.suggest_types("gra")["result"]] == ["grade"]
    assert {t["id"] for t in rec.suggest_types("")["result"]} >= {"position", "grade", "tier"}
    assert [p["id"] for p in rec.suggest_properties("ti")["result"]] == ["tier"]
    isco = {p["id"] for p in rec.suggest_properties("isco")["result"]}
    assert isco == {"isco", "isco-mapping"}
    for prefix, pid in (
        ("санат", "category"),
        ("категория", "category"),
        ("квалиф", "qualification-level"),
    ):
        assert pid in {p["id"] for p in rec.suggest_properties(prefix)["result"]}, prefix
    for_tiers = {p["id"] for p in rec.suggest_properties("", "tier")["result"]}
    assert "grade" not in for_tiers and "block" in for_tiers


def test_propose_properties(rec: Reconciler) -> None:
    proposed = rec.propose_properties("position")
    assert proposed["type"] == "position" and "limit" not in proposed
    wanted = {"notation", "block", "tier", "step", "sector", "grade", "institution-type", "isco"}
    assert {p["id"] for p in proposed["properties"]} >= wanted | {"category"}
    limited = rec.propose_properties("tier", 2)
    assert limited["type"] == "tier" and limited["limit"] == 2
    assert len(limited["properties"]) == 2
    assert rec.propose_properties(None)["type"] == "position"


def test_preview(rec: Reconciler) -> None:
    card = rec.preview("position/A1-1.01")
    assert card is not None
    assert card["title"] == "ЗТМО басшысы" and card["type_name"] == "Position"
    facts = dict(card["facts"])
    assert facts["Notation"] == "A1-1.01"
    assert "ru" in dict(card["translations"])
    assert rec.preview("<b>x</b>") is None


def test_manifest(rec: Reconciler) -> None:
    m = rec.manifest("https://example.org/reconcile", "https://example.org")
    assert m["versions"] == ["0.2"]
    assert m["identifierSpace"] == "https://reg1042.example.org/"
    assert m["schemaSpace"] == "https://reg1042.example.org/def#"
    assert m["view"] == {"url": "https://example.org/{{id}}"}
    assert m["preview"]["url"] == "https://example.org/reconcile/preview?id={{id}}"
    assert m["suggest"]["property"] == {
        "service_url": "https://example.org/reconcile",
        "service_path": "/suggest/property",
    }
    assert {"id": "position", "name": "Position"} in m["defaultTypes"]
    assert PROPERTY_BY_ID["category"].target == "category"


# ---------------------------------------------------------------------------- details


def test_types_of_two_words_by_every_spelling(rec: Reconciler) -> None:
    for alias in (
        "kg:SignificanceLevel",
        "https://reg1042.example.org/def#SignificanceLevel",
        "significance-level",
    ):
        assert rec.resolve_type(alias) == "significance-level", alias
    assert rec.resolve_type("kg:InstitutionType") == "institution-type"


def test_a_property_id_must_be_a_string(rec: Reconciler) -> None:
    with pytest.raises(ReconcileError, match="unknown property"):
        rec.reconcile({"q": {"query": "x", "properties": [{"pid": ["tier"], "v": "C2"}]}})


def test_a_fact_given_by_id_picks_the_grades(rec: Reconciler) -> None:
    """Given as {"id": ...}, the high qualification level keeps the nurses of B3 only."""
    for v in ({"id": "qualification-level/high"}, "qualification-level/high", "high"):
        result = rec.reconcile(
            {
                "q": {
                    "query": "Мейіргер",
                    "type": "position",
                    "properties": [{"pid": "qualification-level", "v": v}],
                }
            }
        )["q"]["result"]
        assert {c["id"] for c in result if c["name"] == "Мейіргер"} == {
            "position/B3-1-H.01",
            "position/B3-2-H.01",
            "position/B3-3-H.01",
            "position/B3-4-H.01",
        }, v


def test_facts_let_a_weaker_name_match(rec: Reconciler) -> None:
    """With the facts that pick one grade, a name given by its first letters ("мейір") still
    matches: facts lower the score a match needs (PINNED_SCORE, 60, instead of 90)."""
    result = rec.reconcile(
        {
            "q": {
                "query": "мейір",
                "type": "position",
                "properties": [
                    {"pid": "qualification-level", "v": "medium"},
                    {"pid": "category", "v": "first"},
                ],
            }
        }
    )["q"]["result"]
    assert result[0]["id"] == "position/B4-2-H.06"
    assert 60 <= result[0]["score"] < 90
    assert result[0]["match"] is True
    # the same name without facts matches nothing
    plain = rec.reconcile({"q": {"query": "мейір", "type": "position"}})["q"]["result"]
    assert matches(plain) == []


def test_an_isco_mapping_weighs(rec: Reconciler) -> None:
    """data/isco_mappings.csv: the accountant of C2 is closeMatch 2411, of C3 3313."""
    result = rec.reconcile(
        {
            "q": {
                "query": "бухгалтер",
                "type": "position",
                "properties": [{"pid": "isco-mapping", "v": "2411"}],
            }
        }
    )["q"]["result"]
    scores = {c["id"]: c["score"] for c in result}
    assert scores["position/C2.02"] == 100
    assert scores["position/C3.02"] == pytest.approx(80, abs=0.1)
    assert matches(result) == ["position/C2.02"]


def test_a_positions_facts_come_from_its_grade(rec: Reconciler) -> None:
    """C2.02 has no qualification level of its own (data/positions.csv); its grade C2 is
    high (data/grades.csv)."""
    row = rec.extend({"ids": ["position/C2.02"], "properties": [{"id": "qualification-level"}]})[
        "rows"
    ]["position/C2.02"]
    assert row["qualification-level"] == [
        {"id": "qualification-level/high", "name": "Біліктілігі жоғары деңгей"}
    ]


def test_preview_card(rec: Reconciler, search_index: SearchIndex) -> None:
    card = rec.preview("position/A1-1-1.01")
    assert card is not None
    assert card["entity"] is search_index.entity("position/A1-1-1.01")
    facts = dict(card["facts"])
    assert facts["Institution types"] == "Мемлекеттік мекеме, Мемлекеттік қазыналық кәсіпорын"
    assert facts["Tier"] == rec.index.entity("tier/A1").label("kk")


def test_suggestion_items_have_names_and_descriptions(rec: Reconciler) -> None:
    tiers = rec.suggest_properties("ti")["result"]
    assert [(p["id"], p["name"]) for p in tiers] == [("tier", "Tier")]
    assert tiers[0]["description"]
    grades = rec.suggest_types("gra")["result"]
    assert grades == [{"id": "grade", "name": "Grade", "description": "Разряд (звено мен саты)"}]


def test_manifest_follows_the_protocol(rec: Reconciler, reconciliation_schemas: Any) -> None:
    m = rec.manifest("https://example.org/reconcile", "https://example.org")
    reconciliation_schemas.check("manifest", m)
    assert m["name"].startswith("Register of civil-servant positions")
    assert m["serviceVersion"]
    assert m["documentation"] == "https://example.org/openapi.json"
    assert set(m["suggest"]) == {"entity", "type", "property"}
    assert m["suggest"]["entity"]["service_path"] == "/suggest/entity"
    assert m["extend"]["propose_properties"] == {
        "service_url": "https://example.org/reconcile",
        "service_path": "/properties",
    }
    setting = m["extend"]["property_settings"][0]
    assert (setting["name"], setting["type"], setting["default"]) == ("lang", "select", "kk")
    assert {"value": "kk", "name": "Kazakh"} in setting["choices"]
    assert {"value": "kk-Latn", "name": "Kazakh (Latin)"} in setting["choices"]


def test_a_positions_facts_stated_on_its_grade_only() -> None:
    """Extension gives a position the category, qualification level and sector of its grade
    when the position does not state them itself."""
    base = "https://example.org/"
    kg = "https://reg1042.example.org/def#"
    rdf_type = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
    label = ox.NamedNode("http://www.w3.org/2004/02/skos/core#prefLabel")
    pos, grade = ox.NamedNode(base + "position/B4-2-H.06"), ox.NamedNode(base + "grade/B4-2-H")
    first = ox.NamedNode(base + "category/first")
    medium = ox.NamedNode(base + "qualification-level/medium")
    health = ox.NamedNode(base + "sector/healthcare")
    triples = [
        ox.Triple(ox.NamedNode(base + "register"), rdf_type, ox.NamedNode(kg + "PositionRegister")),
        ox.Triple(pos, rdf_type, ox.NamedNode(kg + "Position")),
        ox.Triple(pos, label, ox.Literal("Мейіргер", language="kk")),
        ox.Triple(pos, ox.NamedNode(kg + "grade"), grade),
        ox.Triple(grade, rdf_type, ox.NamedNode(kg + "Grade")),
        ox.Triple(grade, ox.NamedNode(kg + "category"), first),
        ox.Triple(grade, ox.NamedNode(kg + "qualificationLevel"), medium),
        ox.Triple(grade, ox.NamedNode(kg + "sector"), health),
        ox.Triple(first, rdf_type, ox.NamedNode(kg + "Category")),
        ox.Triple(first, label, ox.Literal("Бірінші санат", language="kk")),
        ox.Triple(medium, rdf_type, ox.NamedNode(kg + "QualificationLevel")),
        ox.Triple(medium, label, ox.Literal("Біліктілігі орташа деңгей", language="kk")),
        ox.Triple(health, rdf_type, ox.NamedNode(kg + "Sector")),
        ox.Triple(health, label, ox.Literal("Денсаулық сақтау", language="kk")),
    ]
    small = Reconciler(SearchIndex.from_triples(triples, Uris(base)))
    props = [{"id": "category"}, {"id": "qualification-level"}, {"id": "sector"}]
    row = small.extend({"ids": ["position/B4-2-H.06"], "properties": props})["rows"]
    assert row["position/B4-2-H.06"] == {
        "category": [{"id": "category/first", "name": "Бірінші санат"}],
        "qualification-level": [
            {"id": "qualification-level/medium", "name": "Біліктілігі орташа деңгей"}
        ],
        "sector": [{"id": "sector/healthcare", "name": "Денсаулық сақтау"}],
    }


def test_satisfies(rec: Reconciler, search_index: SearchIndex) -> None:
    accountant = search_index.entity("position/C2.02")
    tier = PROPERTY_BY_ID["tier"]
    assert rec.satisfies(accountant, tier, ["C2"])
    assert rec.satisfies(accountant, tier, ["С2"])  # Cyrillic С
    assert rec.satisfies(accountant, tier, [{"id": "tier/C2"}])
    assert not rec.satisfies(accountant, tier, ["C3"])
    assert not rec.satisfies(accountant, tier, [""])


def test_json_parameters(rec: Reconciler) -> None:
    assert parse_json_param("queries", '{"q0": {"query": "x", "limit": 1.5}}') == {
        "q0": {"query": "x", "limit": 1.5}
    }
    for text, phrase in (
        ("", "is empty"),
        ("   ", "is empty"),
        (None, "is empty"),
        ("{not json", "not valid JSON"),
        ('{"limit": NaN}', "not finite"),
        ('{"limit": Infinity}', "not finite"),
        ('{"limit": 1e400}', "not finite"),
        ("[" * 100000 + "]" * 100000, "nested too deeply"),
    ):
        with pytest.raises(ReconcileError, match=phrase):
            parse_json_param("queries", text)
    assert service_error("bad") == {"status": "error", "message": "bad"}
