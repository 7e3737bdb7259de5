"""W3C Reconciliation Service API 0.2 against a real server over the real release.

Requests are shaped as OpenRefine sends them (form-encoded ``queries=<JSON>`` POSTs with
``Content-Type: application/x-www-form-urlencoded; charset=UTF-8``), and every answer is
validated against the 0.2 JSON Schemas in shared/conformance/reconciliation/0.2/.
Expectations come from reading data/positions.csv.
"""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest

pytest_plugins = ["search_fixtures"]

OPENREFINE_FORM = "application/x-www-form-urlencoded; charset=UTF-8"


def post_form(http: httpx.Client, path: str, **fields: Any) -> httpx.Response:
    """POST like OpenRefine: one form field per parameter, JSON values as text."""
    data = {
        k: v if isinstance(v, str) else json.dumps(v, ensure_ascii=False) for k, v in fields.items()
    }
    return http.post(path, content=urlencode(data), headers={"Content-Type": OPENREFINE_FORM})


def reconcile(http: httpx.Client, schemas: Any, batch: dict[str, Any]) -> dict[str, Any]:
    schemas.check("reconciliation-query-batch", batch)  # the test's own input is well-formed
    r = post_form(http, "/reconcile", queries=batch)
    assert r.status_code == 200, r.text
    assert r.headers["access-control-allow-origin"] == "*"
    body = r.json()
    schemas.check("reconciliation-result-batch", body)
    assert set(body) == set(batch)
    for answer in body.values():
        for candidate in answer["result"]:
            assert 0 <= candidate["score"] <= 100
    return body


def matches(result: list[dict[str, Any]]) -> list[str]:
    return [c["id"] for c in result if c.get("match")]


# ---------------------------------------------------------------------------- manifest


def test_manifest(search_http: httpx.Client, reconciliation_schemas: Any) -> None:
    r = search_http.get("/reconcile")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("application/json")
    assert r.headers["access-control-allow-origin"] == "*"
    manifest = r.json()
    reconciliation_schemas.check("manifest", manifest)
    assert manifest["versions"] == ["0.2"]
    assert manifest["identifierSpace"] == "https://reg1042.example.org/"
    assert {t["id"] for t in manifest["defaultTypes"]} >= {
        "position",
        "grade",
        "tier",
        "institution-type",
    }
    base = str(search_http.base_url).rstrip("/")
    assert manifest["preview"]["url"] == f"{base}/reconcile/preview?id={{{{id}}}}"
    assert manifest["view"]["url"] == f"{base}/{{{{id}}}}"
    for kind in ("entity", "type", "property"):
        service = manifest["suggest"][kind]
        assert (
            service["service_url"] + service["service_path"] == f"{base}/reconcile/suggest/{kind}"
        )


def test_manifest_as_jsonp(search_http: httpx.Client, reconciliation_schemas: Any) -> None:
    r = search_http.get("/reconcile", params={"callback": "jQuery123_456"})
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("application/javascript")
    m = re.fullmatch(r"/\*\*/jQuery123_456\((.*)\);", r.text, re.DOTALL)
    assert m is not None
    reconciliation_schemas.check("manifest", json.loads(m[1]))
    bad = search_http.get("/reconcile", params={"callback": "alert(1)//"})
    assert bad.status_code == 400


# ---------------------------------------------------------------------------- reconcile


def test_openrefine_shaped_batch(search_http: httpx.Client, reconciliation_schemas: Any) -> None:
    body = reconcile(
        search_http,
        reconciliation_schemas,
        {"q0": {"query": "бухгалтер", "type": "position"}},
    )
    result = body["q0"]["result"]
    assert [c["id"] for c in result[:2]] == ["position/C2.02", "position/C3.02"]
    assert result[0]["name"] == "Бухгалтер"
    assert result[0]["type"] == [{"id": "position", "name": "Position"}]
    assert all(c["score"] < result[1]["score"] for c in result[2:])  # chief accountants lower
    assert matches(result) == []  # the same title in two grades is ambiguous


def test_a_tier_constraint_settles_the_grade(
    search_http: httpx.Client, reconciliation_schemas: Any
) -> None:
    body = reconcile(
        search_http,
        reconciliation_schemas,
        {
            "q0": {
                "query": "Бухгалтер",
                "type": "position",
                "type_strict": "should",
                "properties": [{"pid": "tier", "v": "С2"}],  # Cyrillic С
            },
            "q1": {
                "query": "мейиргер",
                "properties": [{"pid": "grade", "v": {"id": "grade/B3-2-H"}}],
            },
            "q2": {"query": "мейиргер", "properties": [{"pid": "sector", "v": "healthcare"}]},
        },
    )
    assert [c["id"] for c in body["q0"]["result"]] == ["position/C2.02"]
    assert matches(body["q0"]["result"]) == ["position/C2.02"]
    assert matches(body["q1"]["result"]) == ["position/B3-2-H.01"]
    assert matches(body["q2"]["result"]) == []  # eight nurses in healthcare


def test_unambiguous_strong_candidates_match(
    search_http: httpx.Client, reconciliation_schemas: Any
) -> None:
    body = reconcile(
        search_http,
        reconciliation_schemas,
        {
            "a": {"query": "ЗТМО басшысы"},
            "b": {"query": "зтмо басшысы", "type": ["position"]},
            "c": {"query": "C2.02"},
            "d": {
                "query": "Зейнетақы төлеу жөніндегі мемлекеттік орталық",
                "type": "institution-type",
            },
            "e": {"query": "B2-1", "type": "grade"},
        },
    )
    assert matches(body["a"]["result"]) == ["position/A1-1.01"]
    assert matches(body["b"]["result"]) == ["position/A1-1.01"]
    assert matches(body["c"]["result"]) == ["position/C2.02"]
    assert matches(body["d"]["result"]) == ["institution-type/ZTMO"]
    assert {c["id"] for c in body["e"]["result"]} == {
        "grade/B2-1-H",
        "grade/B2-1-E",
        "grade/B2-1-O",
    }
    assert matches(body["e"]["result"]) == []


def test_nonsense_never_matches(search_http: httpx.Client, reconciliation_schemas: Any) -> None:
    body = reconcile(
        search_http,
        reconciliation_schemas,
        {
            "q0": {"query": "qwxz plugh zzzzzz"},
            "q1": {"query": "бухгалтер космонавт астронавт", "type": "position"},
            "q2": {"query": "Z9-9"},
            "q3": {"query": "бас"},  # "chief": in many titles, the whole of none
        },
    )
    for answer in body.values():
        assert matches(answer["result"]) == []
    assert body["q0"]["result"] == []
    assert len(body["q3"]["result"]) >= 5


def test_reconcile_by_get(search_http: httpx.Client, reconciliation_schemas: Any) -> None:
    batch = {"q0": {"query": "Мейіргер", "type": "position", "limit": 3}}
    r = search_http.get("/reconcile", params={"queries": json.dumps(batch)})
    assert r.status_code == 200
    reconciliation_schemas.check("reconciliation-result-batch", r.json())
    assert [c["name"] for c in r.json()["q0"]["result"]] == ["Мейіргер"] * 3


def test_a_batch_of_one_hundred(search_http: httpx.Client, reconciliation_schemas: Any) -> None:
    titles = ["бухгалтер", "мейіргер", "ЗТМО басшысы", "В2-1", "нұсқаушы", "xyzzy"]
    batch = {f"q{i}": {"query": titles[i % len(titles)]} for i in range(100)}
    body = reconcile(search_http, reconciliation_schemas, batch)
    assert len(body) == 100
    assert matches(body["q2"]["result"]) == ["position/A1-1.01"]


@pytest.mark.parametrize(
    ("queries", "phrase"),
    [
        ("{not json", "not valid JSON"),
        ("", "empty"),
        ('["бухгалтер"]', "JSON object"),
        ('{"q0": "бухгалтер"}', "must be a JSON object"),
        ('{"q0": {"query": 5}}', "'query' must be a string"),
        ('{"q0": {"query": "x", "type": "planet"}}', "unknown type"),
        ('{"q0": {"query": "x", "limit": "ten"}}', "'limit'"),
        (
            '{"q0": {"query": "x", "properties": [{"pid": "colour", "v": "red"}]}}',
            "unknown property",
        ),
        ('{"q0": {"query": "x", "properties": {"pid": "tier"}}}', "must be a list"),
        ('{"q0": {}}', "needs a 'query'"),
    ],
)
def test_bad_batches_get_400_with_a_message(
    search_http: httpx.Client, queries: str, phrase: str
) -> None:
    r = post_form(search_http, "/reconcile", queries=queries)
    assert r.status_code == 400, r.text
    assert r.headers["access-control-allow-origin"] == "*"
    assert phrase in r.json()["message"]


def test_bad_requests_are_never_500(search_http: httpx.Client) -> None:
    multipart = search_http.post("/reconcile", files={"queries": ("q", b"{}")})
    assert multipart.status_code == 415
    bad_utf8 = search_http.post(
        "/reconcile", content=b"queries=%ff%fe", headers={"Content-Type": OPENREFINE_FORM}
    )
    assert bad_utf8.status_code == 400
    assert search_http.get("/reconcile", params={"extend": "[1,2"}).status_code == 400
    assert search_http.get("/reconcile/properties", params={"limit": "x"}).status_code == 400
    assert (
        search_http.get(
            "/reconcile/suggest/entity", params={"prefix": "a", "type": "?"}
        ).status_code
        == 400
    )


# ---------------------------------------------------------------------------- suggest


def test_suggest_entity(search_http: httpx.Client, reconciliation_schemas: Any) -> None:
    r = search_http.get("/reconcile/suggest/entity", params={"prefix": "мейір", "type": "position"})
    assert r.status_code == 200
    assert r.headers["access-control-allow-origin"] == "*"
    reconciliation_schemas.check("suggest-entities-response", r.json())
    result = r.json()["result"]
    assert result[0]["name"] == "Мейіргер"
    assert all(c["notable"] == [{"id": "position", "name": "Position"}] for c in result)
    more = search_http.get(
        "/reconcile/suggest/entity", params={"prefix": "мейір", "type": "position", "cursor": 2}
    ).json()["result"]
    assert more[0]["id"] == result[2]["id"]


def test_suggest_type(search_http: httpx.Client, reconciliation_schemas: Any) -> None:
    r = search_http.get("/reconcile/suggest/type", params={"prefix": "gra"})
    reconciliation_schemas.check("suggest-types-response", r.json())
    assert [t["id"] for t in r.json()["result"]] == ["grade"]
    everything = search_http.get("/reconcile/suggest/type", params={"prefix": ""}).json()
    reconciliation_schemas.check("suggest-types-response", everything)
    assert {t["id"] for t in everything["result"]} >= {
        "position",
        "grade",
        "tier",
        "institution-type",
    }


def test_suggest_property(search_http: httpx.Client, reconciliation_schemas: Any) -> None:
    r = search_http.get("/reconcile/suggest/property", params={"prefix": "ti"})
    reconciliation_schemas.check("suggest-properties-response", r.json())
    assert [p["id"] for p in r.json()["result"]] == ["tier"]
    isco = search_http.get("/reconcile/suggest/property", params={"prefix": "isco"}).json()
    assert {p["id"] for p in isco["result"]} == {"isco", "isco-mapping"}


# ---------------------------------------------------------------------------- data extension


def test_propose_properties(search_http: httpx.Client, reconciliation_schemas: Any) -> None:
    r = search_http.get("/reconcile/properties", params={"type": "position"})
    assert r.status_code == 200
    reconciliation_schemas.check("data-extension-property-proposal", r.json())
    ids = {p["id"] for p in r.json()["properties"]}
    wanted = {"notation", "block", "tier", "step", "sector", "grade", "institution-type", "isco"}
    assert ids >= wanted
    limited = search_http.get("/reconcile/properties", params={"type": "tier", "limit": 2}).json()
    reconciliation_schemas.check("data-extension-property-proposal", limited)
    assert len(limited["properties"]) == 2 and limited["type"] == "tier"


def test_extend(search_http: httpx.Client, reconciliation_schemas: Any) -> None:
    properties = [
        "notation",
        "block",
        "tier",
        "step",
        "sector",
        "grade",
        "institution-type",
        "isco",
    ]
    query = {
        "ids": ["position/C2.02", "position/B3-1-H.01", "position/A1-1.01", "no/such-thing"],
        "properties": [{"id": p} for p in properties[:-1]]
        + [{"id": "isco", "settings": {"lang": "en"}}],
    }
    reconciliation_schemas.check("data-extension-query", query)
    r = post_form(search_http, "/reconcile", extend=query)
    assert r.status_code == 200, r.text
    assert r.headers["access-control-allow-origin"] == "*"
    body = r.json()
    reconciliation_schemas.check("data-extension-response", body)
    assert [m["id"] for m in body["meta"]] == properties
    rows = body["rows"]
    accountant = rows["position/C2.02"]
    assert accountant["notation"] == [{"str": "C2.02"}]
    assert [v["id"] for v in accountant["block"]] == ["block/C"]
    assert [v["id"] for v in accountant["tier"]] == ["tier/C2"]
    assert [v["id"] for v in accountant["grade"]] == ["grade/C2"]
    assert accountant["step"] == [] and accountant["sector"] == []
    nurse = rows["position/B3-1-H.01"]
    assert nurse["step"] == [{"str": "1"}]
    assert [v["id"] for v in nurse["sector"]] == ["sector/healthcare"]
    assert [v["id"] for v in rows["position/A1-1.01"]["institution-type"]] == [
        "institution-type/ZTMO"
    ]
    assert rows["no/such-thing"] == {p: [] for p in properties}
    for row in rows.values():
        for value in row["isco"]:  # present once the occupations' ISCO-08 mappings land
            assert re.fullmatch(r"[0-9]{4}", value["str"]), value


def test_extend_names_follow_the_language_setting(search_http: httpx.Client) -> None:
    query = {
        "ids": ["position/B3-1-H.01"],
        "properties": [{"id": "sector", "settings": {"lang": "en"}}],
    }
    body = search_http.get("/reconcile", params={"extend": json.dumps(query)}).json()
    assert body["rows"]["position/B3-1-H.01"]["sector"] == [
        {"id": "sector/healthcare", "name": "Healthcare"}
    ]


def test_extend_rejects_unknown_properties(search_http: httpx.Client) -> None:
    query = {"ids": ["position/C2.02"], "properties": [{"id": "salary"}]}
    r = post_form(search_http, "/reconcile", extend=query)
    assert r.status_code == 400 and "unknown property" in r.json()["message"]


# ---------------------------------------------------------------------------- preview, CORS


def test_preview(search_http: httpx.Client) -> None:
    r = search_http.get("/reconcile/preview", params={"id": "position/A1-1.01"})
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/html")
    assert r.headers["access-control-allow-origin"] == "*"
    assert "ЗТМО басшысы" in r.text and "A1-1.01" in r.text
    missing = search_http.get("/reconcile/preview", params={"id": "<b>x</b>"})
    assert missing.status_code == 404
    assert "<b>x</b>" not in missing.text and "&lt;b&gt;x&lt;/b&gt;" in missing.text


@pytest.mark.parametrize(
    "path",
    [
        "/reconcile",
        "/reconcile?queries=%7B%7D",
        "/reconcile/preview?id=position/C2.02",
        "/reconcile/suggest/entity?prefix=бух",
        "/reconcile/suggest/type?prefix=",
        "/reconcile/suggest/property?prefix=",
        "/reconcile/properties?type=position",
        "/api/search?q=бухгалтер",
    ],
)
def test_cors_everywhere(search_http: httpx.Client, path: str) -> None:
    r = search_http.get(path, headers={"Origin": "http://127.0.0.1:3333"})
    assert r.status_code == 200, r.text
    assert r.headers["access-control-allow-origin"] == "*"
    base = path.split("?")[0]
    pre = search_http.options(
        base,
        headers={
            "Origin": "http://127.0.0.1:3333",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type",
        },
    )
    assert pre.status_code == 204
    assert pre.headers["access-control-allow-origin"] == "*"
    assert "POST" in pre.headers["access-control-allow-methods"]


# ---------------------------------------------------------------------------- occupations


@pytest.fixture(scope="module")
def with_occupations(search_index: Any) -> None:
    assert any(e.type == "occupation" for e in search_index.entities), "no occupations"


@pytest.mark.usefixtures("with_occupations")
def test_isco_codes_follow_the_qualification_level(
    search_http: httpx.Client, reconciliation_schemas: Any
) -> None:
    """data/isco_mappings.csv: an accountant is 2411 at high (C2) and 3313 at medium (C3)
    qualification, a nurse 2221 (B3, high) and 3221 (B4, medium)."""
    ids = ["position/C2.02", "position/C3.02", "position/B3-1-H.01", "position/B4-1-H.05"]
    query = {
        "ids": ids,
        "properties": [{"id": "isco"}, {"id": "isco-mapping"}, {"id": "occupation"}],
    }
    body = post_form(search_http, "/reconcile", extend=query).json()
    reconciliation_schemas.check("data-extension-response", body)
    rows = body["rows"]
    assert [rows[i]["isco"] for i in ids] == [
        [{"str": "2411"}],
        [{"str": "3313"}],
        [{"str": "2221"}],
        [{"str": "3221"}],
    ]
    assert rows["position/C2.02"]["isco-mapping"] == [{"str": "closeMatch 2411"}]
    assert [v["name"] for v in rows["position/C2.02"]["occupation"]] == ["Бухгалтер"]


@pytest.mark.usefixtures("with_occupations")
def test_occupations_reconcile(search_http: httpx.Client, reconciliation_schemas: Any) -> None:
    body = reconcile(
        search_http,
        reconciliation_schemas,
        {
            "occupation": {"query": "бухгалтер", "type": "occupation"},
            "any type": {"query": "бухгалтер"},
            "by isco": {
                "query": "бухгалтер",
                "type": "position",
                "properties": [{"pid": "isco", "v": "2411"}],
            },
        },
    )
    found = body["occupation"]["result"]
    assert found[0]["name"] == "Бухгалтер" and found[0]["match"] is True
    assert found[0]["type"] == [{"id": "occupation", "name": "Occupation"}]
    assert matches(body["any type"]["result"]) == []  # two positions and the occupation
    assert matches(body["by isco"]["result"]) == ["position/C2.02"]


def test_reconcile_is_documented_and_answers_head(search_http: httpx.Client) -> None:
    schema = search_http.get("/openapi.json").json()
    post = schema["paths"]["/reconcile"]["post"]
    form = post["requestBody"]["content"]["application/x-www-form-urlencoded"]["schema"]
    assert set(form["properties"]) == {"queries", "extend"}
    assert {p["name"] for p in schema["paths"]["/reconcile"]["get"]["parameters"]} >= {
        "queries",
        "extend",
        "callback",
    }
    for path in ("/reconcile", "/api/search?q=x", "/search?q=x", "/reconcile/suggest/type"):
        head = search_http.head(path)
        assert head.status_code == 200, path
        assert head.content == b""
        assert head.headers["access-control-allow-origin"] == "*"


def test_the_batch_bound_is_the_servers_setting(search_index: Any) -> None:
    """`--max-batch` reaches the reconciler itself: its own check follows the setting."""
    from kg.lookup.reconcile import ReconcileError, Reconciler

    small = Reconciler(search_index, max_batch=2)
    batch = {f"q{i}": {"query": "Бухгалтер"} for i in range(3)}
    with pytest.raises(ReconcileError, match="at most 2 queries"):
        small.reconcile(batch)
    with pytest.raises(ReconcileError, match="at most 2 ids"):
        small.extend({"ids": ["position/C2.02"] * 3, "properties": [{"id": "tier"}]})
    assert len(Reconciler(search_index, max_batch=3).reconcile(batch)) == 3
