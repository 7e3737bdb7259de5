"""kg.query.bounded: which queries may be answered without a killable worker.

Every accepted query must have bounded work (constant subjects and predicates, at most
MAX_PATTERNS patterns, or DESCRIBE of one IRI); everything else, in particular anything that
could federate, comment out part of the text or smuggle a keyword through an escape, must be
refused. The cases are written by hand from the SPARQL 1.1 grammar.
"""

from __future__ import annotations

import pyoxigraph as ox
import pytest

from kg.query.bounded import MAX_PATTERNS, is_bounded

P = "PREFIX skos: <http://www.w3.org/2004/02/skos/core#>\n"
S = "<https://reg1042.example.org/position/A1-1.01>"

BOUNDED = [
    P + f"ASK {{ {S} skos:prefLabel ?label }}",
    P + f"ASK {{ VALUES ?nonce {{ 17 }} {S} skos:prefLabel ?label }}",
    P + f"SELECT ?label WHERE {{ {S} skos:prefLabel ?label }}",
    P + f"select distinct ?l where {{ {S} skos:prefLabel ?l . }} LIMIT 5",
    P + f"SELECT * {{ {S} skos:prefLabel ?l }} LIMIT 10 OFFSET 2",
    f'ASK {{ {S} <http://www.w3.org/2004/02/skos/core#prefLabel> "Басшы"@kk }}',
    f"ASK {{ {S} a <https://reg1042.example.org/def#Position> }}",
    "DESCRIBE <https://reg1042.example.org/tier/A1>",
    "DESCRIBE <https://reg1042.example.org/tier/A1> WHERE { VALUES ?nonce { 3 } }",
    "BASE <https://reg1042.example.org/>\nDESCRIBE <tier/A1>",
    P + "PREFIX t: <https://reg1042.example.org/tier/>\nDESCRIBE t:A1",
    f"ASK {{ {S} <p:x> 'x'^^<http://www.w3.org/2001/XMLSchema#string> }}",
    f"ASK\r\n{{\t{S} <p:x> ?o }}",
]

REFUSED = [
    # federation, however it is spelled
    f"ASK {{ SERVICE <http://127.0.0.1:9/> {{ {S} <p:x> ?o }} }}",
    f"ASK {{ \\u0053ERVICE <http://127.0.0.1:9/> {{ {S} <p:x> ?o }} }}",
    f"ASK {{ {S} <p:x> ?o }} # SERVICE",
    f"ASK {{ {S} <p:x> ?o # comment\r SERVICE <http://127.0.0.1:9/> {{ }} }}",
    f"ASK {{ {S} <p:x> ?o }}\n#",
    # unbounded or not in the grammar
    "ASK { ?s ?p ?o }",
    f"ASK {{ ?s <p:x> {S} }}",
    f"ASK {{ {S} ?p ?o }}",
    f"ASK {{ {S} <p:x>+ ?o }}",
    f"ASK {{ {S} <p:x>/<p:y> ?o }}",
    f"ASK {{ {S} ^<p:x> ?o }}",
    f"ASK {{ {S} <p:x> ?o . ?o <p:y> ?z }}",
    f"ASK {{ {S} <p:x> ?o FILTER(?o) }}",
    f"ASK {{ {S} <p:x> ?o OPTIONAL {{ ?o ?p ?z }} }}",
    f"ASK {{ {{ {S} <p:x> ?o }} UNION {{ ?a ?b ?c }} }}",
    f"ASK {{ GRAPH ?g {{ {S} <p:x> ?o }} }}",
    f"ASK FROM <http://127.0.0.1:9/x> {{ {S} <p:x> ?o }}",
    f"SELECT (COUNT(*) AS ?n) {{ {S} <p:x> ?o }}",
    f"SELECT ?o {{ {S} <p:x> ?o }} ORDER BY ?o",
    f"SELECT ?o {{ {S} <p:x> ?o {{ SELECT * {{ ?a ?b ?c }} }} }}",
    "DESCRIBE ?x WHERE { ?x ?p ?o }",
    "DESCRIBE <a:b> <c:d>",
    "DESCRIBE *",
    f"ASK {{ VALUES ?x {{ 1 2 }} {S} <p:x> ?o }}",
    f"ASK {{ VALUES (?x ?y) {{ (1 2) }} {S} <p:x> ?o }}",
    f"ASK {{ VALUES ?x {{ 1 }} VALUES ?y {{ 2 }} {S} <p:x> ?o }}",
    f"ASK {{ {S} <p:x> ?o }} LIMIT ?x",
    f'ASK {{ {S} <p:x> """long""" }}',
    f"ASK {{ {S} <p:x> ?o }} trailing",
    "INSERT DATA { <a:b> <c:d> <e:f> }",
    "LOAD <http://127.0.0.1:9/x>",
    f"ASK {{ {S} A <p:Class> }}",
    f"ASK {{ {S} ex:a:b ?o }}",
    f"ASK {{ {S} <p:x> ?o\u2028}}",
    f"ASK {{ {S} <p:x> ?o\x0b}}",
    "",
]


@pytest.mark.parametrize("query", BOUNDED)
def test_bounded_queries_are_recognised(query: str) -> None:
    assert is_bounded(query)
    ox.Store().query(query)  # and the engine reads them as queries (no syntax error)


@pytest.mark.parametrize("query", REFUSED)
def test_everything_else_goes_to_a_worker(query: str) -> None:
    assert not is_bounded(query)


def test_the_number_of_patterns_is_bounded() -> None:
    objects = " , ".join(f"?o{i}" for i in range(MAX_PATTERNS))
    assert MAX_PATTERNS == 1
    assert is_bounded(f"ASK {{ {S} <p:x> {objects} }}")
    assert not is_bounded(f"ASK {{ {S} <p:x> {objects} , ?extra }}")
    assert not is_bounded(f"ASK {{ {S} <p:x> {objects} . {S} <p:y> ?z }}")
    assert not is_bounded(f"ASK {{ {S} <p:x> ?a ; <p:y> ?b }}")
