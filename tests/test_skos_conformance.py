"""The SKOS integrity shapes against the SKOS Reference consistency examples.

The examples (kos-kit/skos-shacl, Apache-2.0) live outside the repository, in
``shared/conformance/skos/`` beside the clone (see its README.txt). Validation uses the
build's own pyshacl settings (kg/rdf/shacl_settings.py), so what passes here passes in the gate.
"""

from __future__ import annotations

from pathlib import Path

import pyshacl
import pytest
from rdflib import Graph, Literal, Namespace, URIRef
from rdflib.namespace import RDF, SH, SKOS

from kg.rdf.shacl_settings import validation_kwargs

REPO_ROOT = Path(__file__).resolve().parent.parent
SKOS_SHAPES = REPO_ROOT / "shapes" / "skos-integrity.ttl"
#: Base IRI for the relative IRIs (<Love>, <A>, ...) of the examples.
EXAMPLE_BASE = "http://example.org/skos-reference/"


def find_shared_conformance(start: Path | None = None) -> Path | None:
    """Return the first ``shared/conformance`` beside an ancestor of ``start`` (default: here)."""
    for folder in (start or Path(__file__).resolve()).parents:
        candidate = folder / "shared" / "conformance"
        if candidate.is_dir():
            return candidate
    return None


SHARED_CONFORMANCE = find_shared_conformance()
EXAMPLES_DIR = (
    SHARED_CONFORMANCE / "skos" / "kos-kit" / "tests" if SHARED_CONFORMANCE is not None else None
)

#: Consistent examples: every one must conform.
VALID_EXAMPLES: tuple[str, ...] = (
    "ex02", "ex03", "ex04", "ex05", "ex06", "ex07", "ex08", "ex10", "ex11", "ex16",
    "ex17", "ex18", "ex19", "ex20", "ex21", "ex22", "ex23", "ex24", "ex25", "ex33",
    "ex36", "ex37", "ex38", "ex39", "ex40", "ex41", "ex44", "ex48", "ex49", "ex50",
    "ex51", "ex58", "ex66", "ex67", "ex68",
)  # fmt: skip

#: Inconsistent examples the shapes reject, with the start of the message expected for each
#: (so a rejection for an unrelated reason does not count).
REJECTED_INVALID_EXAMPLES: dict[str, str] = {
    "ex12": "S14:",  # two @en prefLabels
    "ex13": "S13:",  # same literal as prefLabel and altLabel
    "ex14": "S13:",  # same literal as altLabel and hiddenLabel
    "ex15": "S13:",  # same literal as prefLabel and hiddenLabel
    "ex26": "S27:",  # related to its broader concept
    "ex27": "S27:",  # related to a transitively broader concept
    "ex28": "S27:",  # related to a stated broaderTransitive concept
    "ex29": "S27:",  # related to a transitively narrower concept (stated with narrower)
    "ex45": "S20/S37:",  # a skos:Collection as the value of skos:narrower
    "ex46": "S20/S37:",  # a skos:Collection as the value of skos:broader
    "ex47": "S20/S37:",  # a skos:Collection as the value of skos:related
    "ex52": "S46:",  # exactMatch and broadMatch to the same concept
    "ex53": "S46:",  # exactMatch and relatedMatch to the same concept
    "ex59": "S27:",  # broadMatch and relatedMatch to the same concept (S41)
    "ex60": "S27:",  # narrowMatch and relatedMatch to the same concept (S41)
    "ex61": "S27:",  # relatedMatch to a transitively broadMatch concept (S41)
}

#: Inconsistent examples the shapes do not check, each with the reason. None at present:
#: every invalid example concerns a condition the shapes check without inference.
UNCHECKED_INVALID_EXAMPLES: dict[str, str] = {}


def example_file(kind: str, name: str) -> Path:
    """Path of one example, failing the test if shared/ is missing."""
    if EXAMPLES_DIR is None:
        pytest.fail(
            "shared/conformance not found beside the repository or any parent folder of "
            f"{Path(__file__).resolve()}; CI must provide it (shared/conformance/skos/README.txt)"
        )
    path = EXAMPLES_DIR / kind / f"{name}.ttl"
    if not path.is_file():
        pytest.fail(f"SKOS Reference example missing: {path}")
    return path


@pytest.fixture(scope="module")
def skos_shapes() -> Graph:
    """The SKOS integrity shapes graph."""
    return Graph().parse(SKOS_SHAPES, format="turtle")


def validate(data: Graph, shapes: Graph) -> tuple[bool, Graph, str]:
    """Validate with the build's settings; return (conforms, report graph, report text)."""
    conforms, report, text = pyshacl.validate(data, shacl_graph=shapes, **validation_kwargs(shapes))
    return bool(conforms), report, text


def result_messages(report: Graph) -> set[str]:
    """All sh:resultMessage strings of a validation report."""
    return {str(m) for m in report.objects(None, SH.resultMessage)}


def test_shared_conformance_folder_is_present() -> None:
    assert SHARED_CONFORMANCE is not None, (
        "shared/conformance not found beside the repository or any parent folder; "
        "CI must place shared/ beside the clone"
    )
    assert EXAMPLES_DIR is not None and EXAMPLES_DIR.is_dir(), EXAMPLES_DIR


def test_every_example_file_is_listed() -> None:
    """No example on disk is silently skipped, and every listed example exists."""
    if EXAMPLES_DIR is None:
        pytest.fail("shared/conformance not found")
    on_disk_valid = {p.stem for p in (EXAMPLES_DIR / "valid").glob("*.ttl")}
    on_disk_invalid = {p.stem for p in (EXAMPLES_DIR / "invalid").glob("*.ttl")}
    assert on_disk_valid == set(VALID_EXAMPLES)
    assert on_disk_invalid == set(REJECTED_INVALID_EXAMPLES) | set(UNCHECKED_INVALID_EXAMPLES)
    assert not set(REJECTED_INVALID_EXAMPLES) & set(UNCHECKED_INVALID_EXAMPLES)
    assert all(reason.strip() for reason in UNCHECKED_INVALID_EXAMPLES.values())


@pytest.mark.parametrize("name", VALID_EXAMPLES)
def test_valid_example_conforms(name: str, skos_shapes: Graph) -> None:
    data = Graph().parse(example_file("valid", name), format="turtle", publicID=EXAMPLE_BASE)
    conforms, _, text = validate(data, skos_shapes)
    assert conforms, f"{name} is consistent SKOS but was rejected:\n{text}"


@pytest.mark.parametrize("name", sorted(REJECTED_INVALID_EXAMPLES))
def test_invalid_example_is_rejected(name: str, skos_shapes: Graph) -> None:
    data = Graph().parse(example_file("invalid", name), format="turtle", publicID=EXAMPLE_BASE)
    conforms, report, text = validate(data, skos_shapes)
    assert not conforms, f"{name} is inconsistent SKOS but was accepted"
    expected = REJECTED_INVALID_EXAMPLES[name]
    messages = result_messages(report)
    assert any(m.startswith(expected) for m in messages), (
        f"{name} was rejected, but not for {expected!r}:\n{text}"
    )


EX = Namespace("https://reg1042.example.org/synthetic/")


def synthetic_register(tops: int = 30, per_top: int = 10, per_middle: int = 9) -> Graph:
    """A build-shaped SKOS graph: 3,030 concepts, ~29k triples by default.

    Every concept has a type, skos:inScheme, prefLabels in kk/ru/en, a definition and a
    notation; half have an altLabel; hierarchy links are stated in both directions, top
    concepts in both directions too; some leaves are skos:related across branches.
    """
    g = Graph()
    scheme = EX.scheme
    g.add((scheme, RDF.type, SKOS.ConceptScheme))
    g.add((scheme, SKOS.prefLabel, Literal("Синтетикалық тізілім", lang="kk")))
    leaves: list[URIRef] = []
    counter = 0

    def concept(parent: URIRef | None) -> URIRef:
        nonlocal counter
        n = counter
        counter += 1
        c = EX[f"c{n}"]
        g.add((c, RDF.type, SKOS.Concept))
        g.add((c, SKOS.inScheme, scheme))
        g.add((c, SKOS.prefLabel, Literal(f"лауазым {n}", lang="kk")))
        g.add((c, SKOS.prefLabel, Literal(f"должность {n}", lang="ru")))
        g.add((c, SKOS.prefLabel, Literal(f"position {n}", lang="en")))
        if n % 2 == 0:
            g.add((c, SKOS.altLabel, Literal(f"балама {n}", lang="kk")))
        g.add((c, SKOS.definition, Literal(f"анықтама {n}", lang="kk")))
        g.add((c, SKOS.notation, Literal(f"N{n:05d}", datatype=EX.Notation)))
        if parent is None:
            g.add((c, SKOS.topConceptOf, scheme))
            g.add((scheme, SKOS.hasTopConcept, c))
        else:
            g.add((c, SKOS.broader, parent))
            g.add((parent, SKOS.narrower, c))
        return c

    for _ in range(tops):
        top = concept(None)
        for _ in range(per_top):
            middle = concept(top)
            leaves.extend(concept(middle) for _ in range(per_middle))
    for i in range(0, len(leaves) - 20, 20):
        g.add((leaves[i], SKOS.related, leaves[i + 15]))
    return g


def test_synthetic_register_conforms(skos_shapes: Graph) -> None:
    """Build-shaped data passes and validation leaves the data graph untouched.

    (How long it takes is measured by bench/build.py, not asserted here.)
    """
    data = synthetic_register()
    size = len(data)
    assert 25_000 < size < 35_000
    conforms, _, text = validate(data, skos_shapes)
    assert conforms, text[:3000]
    assert len(data) == size, "validation changed the data graph"


def test_shapes_hold_no_rules() -> None:
    """The gate validates in place (kg/rdf/shacl_settings.py): no shapes file may add triples."""
    for path in sorted((REPO_ROOT / "shapes").glob("*.ttl")):
        shapes = Graph().parse(path, format="turtle")
        assert (None, SH.rule, None) not in shapes, f"{path.name} has sh:rule"
        assert validation_kwargs(shapes)["inplace"] is True
