"""`kg diff` on a fixture release that moves, removes and renames positions.

The new release is built from a copy of data/ changed the way a future amendment would
change it; the diff must report exactly those changes, and nothing is deleted.
"""

from __future__ import annotations

import csv
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from rdflib import OWL, SKOS, Graph, Literal
from rdflib.namespace import DCTERMS

from kg.build import DATA_DIR, build
from kg.diff import CS, compare, load_release
from kg.uris import Uris

U = Uris()
ROOT = Path(__file__).resolve().parent.parent


def _rows(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    with path.open(encoding="utf-8", newline="") as f:
        reader = csv.DictReader(f)
        return list(reader.fieldnames or []), list(reader)


def _write(path: Path, header: list[str], rows: list[dict[str, str]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=header, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


@pytest.fixture(scope="module")
def releases(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """(old, new): the project's release and an amended one."""
    root = tmp_path_factory.mktemp("diff")
    old = root / "old" / "dist"
    old.parent.mkdir()
    build(old)
    data = root / "data"
    shutil.copytree(DATA_DIR, data)

    header, acts = _rows(data / "acts.csv")
    acts.append(
        {
            **{k: "" for k in header},
            "id": "order-2030-1",
            "kind": "amending-order",
            "number": "1",
            "date": "2030-01-15",
            "issuer": "mlsp",
            "title_en": "Fixture amendment",
            "amends": "order-2015-1042",
        }
    )
    _write(data / "acts.csv", header, acts)

    header, positions = _rows(data / "positions.csv")
    by_notation = {p["notation"]: p for p in positions}
    # move: 'Бас ғылыми қызметкер' from B1-1 to B1-2 (new notation in the new grade)
    moved = dict(by_notation["B1-1.01"], notation="B1-2.02", grade="B1-2")
    positions.append(moved)
    # rename: the forwarding agent gets a new title
    by_notation["D1.37"]["label_kk"] = "Экспедитор-курьер"
    _write(data / "positions.csv", header, positions)
    # the occupation files follow (data/README.md): the moved position keeps its occupation
    # and translation, the renamed one its occupation, with a new translation
    for name in ("position_occupations.csv", "position_translations.csv"):
        header, rows = _rows(data / name)
        by_position = {r["position"]: r for r in rows}
        rows.append(dict(by_position["B1-1.01"], position="B1-2.02"))
        by_position["D1.37"]["label_kk"] = "Экспедитор-курьер"
        if "label_en" in header:
            by_position["D1.37"].update(label_ru="Экспедитор-курьер", label_en="Forwarder-courier")
        _write(data / name, header, rows)

    _write(
        data / "lifecycle.csv",
        ["notation", "act", "replaced_by", "note"],
        [
            {
                "notation": "B1-1.01",
                "act": "order-2030-1",
                "replaced_by": "B1-2.02",
                "note": "moved to step 2",
            },
            {"notation": "D1.38", "act": "order-2030-1", "replaced_by": "", "note": "abolished"},
        ],
    )
    new = root / "new" / "dist"
    new.parent.mkdir()
    build(new, data_dir=data)
    return old, new


def test_diff_reports_exactly_the_changes(releases: tuple[Path, Path]) -> None:
    old, new = releases
    diff = compare(load_release(old), load_release(new))
    summary = sorted((c.kind, c.notation) for c in diff.changes)
    assert summary == [
        ("added", "B1-2.02"),
        ("deprecated", "D1.38"),
        ("moved", "B1-1.01"),
        ("relabelled", "D1.37"),
    ], diff.report()
    moved = diff.of_kind("moved")[0]
    assert "B1-1 -> B1-2" in moved.detail
    relabelled = diff.of_kind("relabelled")[0]
    assert "Экспедитор-курьер" in relabelled.detail and "Экспедитор" in relabelled.detail


def test_nothing_is_deleted_and_removed_positions_are_marked(releases: tuple[Path, Path]) -> None:
    old, new = releases
    old_g, new_g = load_release(old), load_release(new)
    old_concepts = set(old_g.subjects(None, SKOS.Concept))
    assert old_concepts <= set(new_g.subjects(None, SKOS.Concept))
    gone = U.position("D1.38")
    assert (gone, OWL.deprecated, Literal(True)) in new_g
    assert any("order-2030-1" in str(n) for n in new_g.objects(gone, SKOS.historyNote))
    moved = U.position("B1-1.01")
    assert (moved, DCTERMS.isReplacedBy, U.position("B1-2.02")) in new_g
    assert (U.position("B1-2.02"), DCTERMS.replaces, moved) in new_g


def test_change_set_rdf_and_cli(releases: tuple[Path, Path], tmp_path: Path) -> None:
    old, new = releases
    out = tmp_path / "changes.ttl"
    run = subprocess.run(
        [sys.executable, "-m", "kg.cli", "diff", str(old), str(new), "--rdf", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert run.returncode == 0, run.stderr
    assert "moved (1):" in run.stdout and "B1-1.01" in run.stdout
    g = Graph().parse(out, format="turtle")
    subjects = set(g.objects(None, CS.subjectOfChange))
    assert subjects == {U.position(n) for n in ("B1-1.01", "B1-2.02", "D1.37", "D1.38")}


def test_identical_releases_have_no_changes(releases: tuple[Path, Path]) -> None:
    old, _ = releases
    assert compare(load_release(old), load_release(old)).changes == []


def test_diff_refuses_unknown_formats(tmp_path: Path) -> None:
    bad = tmp_path / "x.jsonld"
    bad.write_text("{}")
    run = subprocess.run(
        [sys.executable, "-m", "kg.cli", "diff", str(bad), str(bad)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert run.returncode == 2 and "Traceback" not in run.stderr
