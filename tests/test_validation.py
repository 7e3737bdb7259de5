"""The SHACL gate: the real graph conforms; each register rule rejects a graph that breaks it.

The negative fixtures in tests/fixtures/invalid/ are copies of the minimal valid graph
tests/fixtures/valid/minimal-register.ttl with one fault each. The base must conform, and
each fixture must differ from it by the few triples of its fault, so that a fixture fails for
the reason it is named after. (The SKOS fixtures of that folder, two kk prefLabels and a
broader cycle, are tested in tests/test_skos_negative.py.)
"""

from __future__ import annotations

from pathlib import Path

import pytest
from rdflib import Graph
from register_fixtures import FIXTURES, copy_data, line_of, run_kg

from kg.rdf.validate import validate_graph
from kg.release.build import BuildResult

pytest_plugins = ["register_fixtures"]

VALID = FIXTURES / "valid" / "minimal-register.ttl"
INVALID = FIXTURES / "invalid"

POSITION_PREFIX = "does not start with its grade's notation"
#: fixture: (message every failure must show, other messages the same fault may also cause,
#:           how many triples the fixture adds to or removes from the valid base at most)
CASES: dict[str, tuple[str, tuple[str, ...], int]] = {
    "position-in-two-grades.ttl": (
        "A position is in exactly one grade",
        ("kg:grade of a position must be its skos:broader grade", POSITION_PREFIX),
        2,
    ),
    "position-notation-cyrillic.ttl": (
        "A position notation is grade '.' two digits",
        (f"Position notation \u04122-1-H.01 {POSITION_PREFIX}",),
        2,
    ),
    "position-notation-one-digit.ttl": ("A position notation is grade '.' two digits", (), 2),
    "grade-notation-mismatch.ttl": (
        "Grade notation B2-1-H does not match its tier, step and sector (expected B2-2-H)",
        (),
        2,
    ),
    "sector-on-a-block-grade.ttl": (
        "Grade A1-1-1: a sector applies to tiers B2-B4 only",
        ("Grade notation A1-1-1 does not match its tier, step and sector (expected A1-1-1-H)",),
        1,
    ),
    "quote-length-mismatch.ttl": (
        "the exact text has 30 characters but its offsets 10512..10543 span a different number",
        (),
        2,
    ),
    "quote-beyond-source.ttl": (
        "offsets 23100..23158 do not fit the 23116 characters",
        (),
        4,
    ),
    "amends-undeclared-act.ttl": (
        "A referenced legal act must exist in the graph as an eli:LegalResource",
        (),
        2,
    ),
    "position-without-quote.ttl": ("A position needs its verbatim source quote", (), 1),
}


# ---------------------------------------------------------------- the real graph


def test_the_project_graph_conforms(validated: BuildResult) -> None:
    result = validated
    assert result.validation.conforms, result.validation.summary()
    violations = [v for v in result.validation.violations if v.severity == "Violation"]
    assert not violations, result.validation.summary()


@pytest.mark.slow  # a `kg validate` process: a build and a full SHACL run
def test_kg_validate_exits_0_on_the_project_data() -> None:
    done = run_kg("validate")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "conforms" in done.stdout
    assert "Traceback" not in done.stderr


# ---------------------------------------------------------------- fixtures


def test_the_minimal_valid_graph_conforms() -> None:
    result = validate_graph(Graph().parse(VALID, format="turtle"))
    assert result.conforms, result.summary()
    assert not result.violations, result.summary()


def test_every_register_fixture_is_listed() -> None:
    skos_fixtures = {"two-kk-preflabels.ttl", "broader-cycle.ttl"}
    on_disk = {p.name for p in INVALID.glob("*.ttl")} - skos_fixtures
    assert on_disk == set(CASES)


@pytest.mark.parametrize("fixture", sorted(CASES))
def test_fixture_differs_from_the_valid_base_by_its_fault_only(fixture: str) -> None:
    base = set(Graph().parse(VALID, format="turtle"))
    broken = set(Graph().parse(INVALID / fixture, format="turtle"))
    changed = len(base - broken) + len(broken - base)
    assert 1 <= changed <= CASES[fixture][2], (
        f"{fixture} changes {changed} triple(s) of the base: "
        f"removed {sorted(base - broken)}, added {sorted(broken - base)}"
    )


@pytest.mark.parametrize("fixture", sorted(CASES))
def test_invalid_fixture_fails_with_its_message(fixture: str) -> None:
    expected, also, _ = CASES[fixture]
    result = validate_graph(Graph().parse(INVALID / fixture, format="turtle"))
    assert not result.conforms, f"{fixture} was accepted"
    messages = [v.message for v in result.violations]
    assert any(expected in m for m in messages), result.summary()
    unexpected = [m for m in messages if not any(e in m for e in (expected, *also))]
    assert not unexpected, f"{fixture} fails for other reasons too:\n{result.summary()}"
    assert "Violation" in result.summary()


# ---------------------------------------------------------------- the CLI on broken data


def test_kg_validate_exits_non_zero_on_an_invalid_row(tmp_path: Path) -> None:
    data = copy_data(tmp_path / "data")
    path = data / "positions.csv"
    line = line_of(path, "B1-1.01,")
    raw = path.read_text(encoding="utf-8")
    path.write_text(raw.replace("\nB1-1.01,B1-1,", "\nB1-1.01,B9-1,"), encoding="utf-8")
    done = run_kg("validate", "--data", str(data))
    assert done.returncode != 0, done.stdout + done.stderr
    assert f"data/positions.csv:{line}:" in done.stderr
    assert "Traceback" not in done.stderr


@pytest.mark.slow  # a `kg validate` process: a build and a full SHACL run
def test_kg_validate_exits_1_when_only_shacl_sees_the_fault(tmp_path: Path) -> None:
    """A broader cycle among institution types: every row is fine on its own, only the
    SKOS shapes see the cycle."""
    data = copy_data(tmp_path / "data")
    path = data / "institution_types.csv"
    raw = path.read_text(encoding="utf-8")
    assert raw.count("\nMM,,ММ,") == 1 and raw.count("\nZTMO,MM,") == 1
    path.write_text(raw.replace("\nMM,,ММ,", "\nMM,ZTMO,ММ,"), encoding="utf-8")
    done = run_kg("validate", "--data", str(data))
    assert done.returncode == 1, done.stdout + done.stderr
    assert "skos:broader cycle" in done.stdout, done.stdout
    assert "institution-type/MM" in done.stdout and "institution-type/ZTMO" in done.stdout
