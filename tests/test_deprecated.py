"""A deprecated position (a whole that release 1.1.0 split into its parts) in search,
reconciliation, its page and its RDF twin, over a real server on the real release.

- reconciliation never makes it a `match: true` candidate, ranks it below the active
  positions and names its replacements in its description, and it does not stop a part from
  matching;
- search ranks it below every active position, marks it deprecated and links its
  replacements (JSON and HTML);
- its page shows its status and its replacements, and its Turtle twin states them.
"""

from __future__ import annotations

import re
from typing import Any

import httpx
from rdflib import OWL, Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, SKOS
from test_reconcile import matches, reconcile

from kg.uris import Uris

pytest_plugins = ["search_fixtures"]

U = Uris()
WHOLE_TITLE = "Еңбек мобильділігі орталығы және Мансап орталығының құрылымдық бөлімшесінің маманы"
#: B2-1-O.08 and its two parts (release 1.1.0, ED052)
WHOLE, PARTS = "B2-1-O.08", ("B2-1-O.17", "B2-1-O.18")


def test_a_deprecated_position_is_never_a_match(
    search_http: httpx.Client, reconciliation_schemas: Any
) -> None:
    body = reconcile(
        search_http,
        reconciliation_schemas,
        {
            # the whole's exact title in its own grade: it scores highest, but never matches
            "whole": {
                "query": WHOLE_TITLE,
                "type": "position",
                "properties": [{"pid": "grade", "v": "B2-1-O"}],
            },
            # a split whole of a single grade
            "a3": {"query": "ЗТМО аудандық және қалалық филиал бөлімшесінің басшысы"},
            # a part's own title: the deprecated whole, which shares its words, is no obstacle
            "part": {
                "query": "Мансап орталығының құрылымдық бөлімшесінің маманы",
                "type": "position",
                "properties": [{"pid": "grade", "v": "B2-1-O"}],
            },
        },
    )
    for key in ("whole", "a3"):
        result = body[key]["result"]
        deprecated = [c for c in result if "deprecated" in c.get("description", "")]
        assert deprecated, result
        assert not [c for c in deprecated if c["match"]]
        # below every active candidate
        first = result.index(deprecated[0])
        assert all("deprecated" in c.get("description", "") for c in result[first:])
    whole = next(c for c in body["whole"]["result"] if c["id"] == f"position/{WHOLE}")
    assert whole["description"].endswith("deprecated, replaced by " + ", ".join(PARTS))
    assert matches(body["whole"]["result"]) == []
    assert matches(body["part"]["result"]) == [f"position/{PARTS[1]}"]


def test_search_ranks_a_deprecated_position_last_and_links_its_parts(
    search_http: httpx.Client,
) -> None:
    r = search_http.get("/api/search", params={"q": WHOLE_TITLE, "type": "position"})
    assert r.status_code == 200
    groups = r.json()["groups"]
    items = [i for g in groups for i in g["items"]]
    flags = [i["deprecated"] for i in items]
    assert True in flags and flags == sorted(flags)  # every active item first
    whole = next(i for i in items if i["notation"] == WHOLE)
    assert whole["replaced_by"] == [f"position/{p}" for p in PARTS]
    assert all(i["replaced_by"] == [] for i in items if not i["deprecated"])
    html = search_http.get("/en/search", params={"q": WHOLE_TITLE}).text
    assert "No longer in force; replaced by" in html
    for p in PARTS:
        link = rf'href="(?:/en)?/position/{re.escape(p)}(?:\.html)?" rel="successor-version"'
        assert re.search(link, html), p


def test_the_page_shows_status_and_replacements(search_http: httpx.Client) -> None:
    html = search_http.get(f"/en/position/{WHOLE}.html").text
    status = html[html.index('<section class="status deprecated"') :]
    status = status[: status.index("</section>")]
    assert "No longer in force" in status and "It is replaced by" in status
    for p in PARTS:
        assert re.search(rf'href="(?:/en)?/position/{re.escape(p)}(?:\.html)?"', status), p
    assert "ED052" in status  # the history note names the decision
    active = search_http.get(f"/position/{PARTS[0]}.html").text
    assert 'class="status deprecated"' not in active


def test_the_rdf_twin_states_status_and_replacements(search_http: httpx.Client) -> None:
    r = search_http.get(f"/position/{WHOLE}.ttl")
    assert r.status_code == 200
    g = Graph().parse(data=r.text, format="turtle")
    whole = U.position(WHOLE)
    assert (whole, OWL.deprecated, Literal(True)) in g
    assert set(g.objects(whole, DCTERMS.isReplacedBy)) == {U.position(p) for p in PARTS}
    for p in PARTS:  # the replacements' labels come with it
        assert any(o.language == "kk" for o in g.objects(U.position(p), SKOS.prefLabel))
    assert (whole, URIRef("http://www.w3.org/ns/prov#wasInvalidatedBy"), None) in g
    assert any("ED052" in str(n) for n in g.objects(whole, SKOS.historyNote))


def test_the_reconciler_never_matches_a_deprecated_position_even_alone(search_index: Any) -> None:
    """kg.lookup.reconcile directly: pinned by its notation, the deprecated whole A3-2.01
    (data/lifecycle.csv: replaced by A3-2.03 and A3-2.04, ED049) is the only candidate, with
    its exact title, and still no match; its active part, asked the same way, is one."""
    from kg.lookup.reconcile import Reconciler

    reconciler = Reconciler(search_index)

    def ask(notation: str, title: str) -> list[dict[str, Any]]:
        query = {
            "query": title,
            "type": "position",
            "properties": [{"pid": "notation", "v": notation}],
        }
        return reconciler.reconcile({"q": query})["q"]["result"]

    [whole] = ask("A3-2.01", "ЗТМО аудандық және қалалық филиал бөлімшесінің басшысы")
    assert whole["id"] == "position/A3-2.01"
    assert whole["score"] == 100.0
    assert whole["match"] is False
    assert whole["description"].endswith("deprecated, replaced by A3-2.03, A3-2.04")
    [part] = ask("A3-2.03", "ЗТМО аудандық филиал бөлімшесінің басшысы")
    assert (part["id"], part["match"]) == ("position/A3-2.03", True)
