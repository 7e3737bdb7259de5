"""Negative cases for the SKOS integrity shapes, validated with the build's settings.

The fixtures in tests/fixtures/invalid/ are build-shaped data with exactly one fault; the
inline cases cover the other conditions. Each must fail with the expected message.
"""

from __future__ import annotations

from pathlib import Path

import pyshacl
import pytest
from rdflib import Graph
from rdflib.namespace import SH

from kg.rdf.shacl_settings import validation_kwargs

REPO_ROOT = Path(__file__).resolve().parent.parent
SKOS_SHAPES = REPO_ROOT / "shapes" / "skos-integrity.ttl"
INVALID_FIXTURES = REPO_ROOT / "tests" / "fixtures" / "invalid"

PREFIXES = """\
@prefix rdf:  <http://www.w3.org/1999/02/22-rdf-syntax-ns#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
@prefix xsd:  <http://www.w3.org/2001/XMLSchema#> .
@prefix :     <https://reg1042.example.org/test/> .
"""
#: A declared scheme puts the data in the scope of the publication rules.
SCHEME = ":S a skos:ConceptScheme .\n"
#: Two well-formed member concepts of :S, for cases that need a context.
PAIR = SCHEME + ":A a skos:Concept ; skos:inScheme :S .\n:B a skos:Concept ; skos:inScheme :S .\n"


@pytest.fixture(scope="module")
def skos_shapes() -> Graph:
    """The SKOS integrity shapes graph."""
    return Graph().parse(SKOS_SHAPES, format="turtle")


def messages_of(data: Graph, shapes: Graph) -> tuple[bool, list[str], str]:
    """Validate with the build's settings; return (conforms, result messages, report text)."""
    conforms, report, text = pyshacl.validate(data, shacl_graph=shapes, **validation_kwargs(shapes))
    messages = sorted(str(m) for m in report.objects(None, SH.resultMessage))
    return bool(conforms), messages, text


@pytest.mark.parametrize(
    ("fixture", "expected"),
    [
        ("two-kk-preflabels.ttl", "S14: more than one skos:prefLabel with the same language tag"),
        ("broader-cycle.ttl", "skos:broader cycle"),
    ],
)
def test_invalid_fixture_fails_with_message(
    fixture: str, expected: str, skos_shapes: Graph
) -> None:
    data = Graph().parse(INVALID_FIXTURES / fixture, format="turtle")
    conforms, messages, text = messages_of(data, skos_shapes)
    assert not conforms, f"{fixture} was accepted"
    assert messages, text
    # The fixture has a single fault: every result is about it.
    assert all(expected in m for m in messages), text


INLINE_CASES: dict[str, tuple[str, str]] = {
    # name: (Turtle after the prefixes, expected message substring)
    "self-broader": (
        SCHEME + ":A a skos:Concept ; skos:inScheme :S ; skos:broader :A .",
        "skos:broader cycle",
    ),
    "narrower-cycle-of-three": (
        PAIR + ":C a skos:Concept ; skos:inScheme :S .\n"
        ":A skos:narrower :B . :B skos:narrower :C . :C skos:narrower :A .",
        "skos:broader cycle",
    ),
    "cycle-mixing-broader-and-narrower": (
        PAIR + ":A skos:broader :B . :A skos:narrower :B .",
        "skos:broader cycle",
    ),
    "cycle-through-subclass-of-concept": (
        SCHEME + ":Position rdfs:subClassOf skos:Concept .\n"
        ":A a :Position ; skos:inScheme :S ; skos:broader :B .\n"
        ":B a :Position ; skos:inScheme :S ; skos:broader :A .",
        "skos:broader cycle",
    ),
    "concept-without-scheme": (
        SCHEME + ":A a skos:Concept .",
        "Concept not in a concept scheme",
    ),
    "inScheme-to-undeclared-scheme": (
        SCHEME + ":A a skos:Concept ; skos:inScheme :Elsewhere .",
        "Concept not in a concept scheme",
    ),
    "top-concept-without-inScheme": (
        PAIR + ":C a skos:Concept ; skos:inScheme :S2 ; skos:topConceptOf :S .\n"
        ":S2 a skos:ConceptScheme .",
        "Top concept not in its scheme",
    ),
    "listed-top-concept-without-inScheme": (
        PAIR + ":S2 a skos:ConceptScheme ; skos:hasTopConcept :A .",
        "Top concept not in its scheme",
    ),
    "same-prefLabel-and-altLabel": (
        ':X skos:prefLabel "a"@kk ; skos:altLabel "a"@kk .',
        "S13:",
    ),
    "untagged-prefLabel": (':X skos:prefLabel "a" .', "S12: a skos:prefLabel value"),
    "typed-altLabel": (':X skos:altLabel "1"^^xsd:integer .', "S12: a skos:altLabel value"),
    "iri-hiddenLabel": (":X skos:hiddenLabel :label .", "S12: a skos:hiddenLabel value"),
    "iri-notation": (":X skos:notation :code .", "S15:"),
    "literal-broader": (':X skos:broader "B" .', "S3/S18/S30/S38:"),
    "scheme-is-concept": (":X a skos:ConceptScheme , skos:Concept .", "S9:"),
    "collection-is-concept": (":X a skos:Collection , skos:Concept .", "S37:"),
    "ordered-collection-is-scheme": (":X a skos:OrderedCollection , skos:ConceptScheme .", "S37:"),
    "scheme-with-broader": (":X a skos:ConceptScheme ; skos:broader :Y .", "S9/S19:"),
    "scheme-as-related-value": (":Y skos:related :X . :X a skos:ConceptScheme .", "S9/S20/S37:"),
    "scheme-as-member": (":C skos:member :X . :X a skos:ConceptScheme .", "S9/S20/S37:"),
    "collection-with-exactMatch": (":X a skos:Collection ; skos:exactMatch :Y .", "S19/S37:"),
    "concept-as-inScheme-value": (":Y skos:inScheme :X . :X a skos:Concept .", "S4/S5/S7"),
    "concept-with-members": (":X a skos:Concept ; skos:member :Y .", "S31/S33"),
    "two-member-lists": (":X skos:memberList ( :A ) , ( :B ) .", "S35:"),
    "member-list-not-a-list": (":X skos:memberList :NotAList .", "S34:"),
    "related-stated-by-the-narrower-end": (":A skos:broader :B . :B skos:related :A .", "S27:"),
    "related-across-broader-and-broadMatch": (
        ":A skos:broader :B . :B skos:broadMatch :C . :C skos:related :A .",
        "S27:",
    ),
    "exactMatch-inverse-with-broadMatch": (
        ":A skos:exactMatch :B . :B skos:broadMatch :A .",
        "S46:",
    ),
    "exactMatch-transitive-with-relatedMatch": (
        ":A skos:exactMatch :B . :B skos:exactMatch :C . :A skos:relatedMatch :C .",
        "S46:",
    ),
    "exactMatch-with-narrowMatch": (":A skos:exactMatch :B ; skos:narrowMatch :B .", "S46:"),
}


@pytest.mark.parametrize("name", sorted(INLINE_CASES))
def test_inline_case_fails_with_message(name: str, skos_shapes: Graph) -> None:
    turtle, expected = INLINE_CASES[name]
    data = Graph().parse(data=PREFIXES + turtle, format="turtle")
    conforms, messages, text = messages_of(data, skos_shapes)
    assert not conforms, f"{name} was accepted"
    assert any(expected in m for m in messages), f"{name}: no message with {expected!r}:\n{text}"


def test_build_shaped_scheme_conforms(skos_shapes: Graph) -> None:
    """A small published scheme with every feature the build emits raises nothing."""
    turtle = (
        SCHEME
        + """
        :S skos:prefLabel "Тізілім"@kk ; skos:hasTopConcept :A .
        :A a skos:Concept ; skos:inScheme :S ; skos:topConceptOf :S ;
           skos:prefLabel "А блогы"@kk , "Блок А"@ru ; skos:notation "A" ;
           skos:narrower :B , :C .
        :B a skos:Concept ; skos:inScheme :S ; skos:broader :A ; skos:prefLabel "Б"@kk ;
           skos:altLabel "Б-1"@kk ; skos:notation "A-1"^^xsd:token ; skos:related :C .
        :C a skos:Concept ; skos:inScheme :S ; skos:broader :A ; skos:prefLabel "В"@kk ;
           skos:exactMatch <https://example.org/other/c> .
        """
    )
    data = Graph().parse(data=PREFIXES + turtle, format="turtle")
    conforms, _, text = messages_of(data, skos_shapes)
    assert conforms, text
