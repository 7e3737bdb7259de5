"""`kg diff` on a fixture release that moves, removes and renames positions.

The new release is built from a copy of data/ changed the way a future amendment would
change it; the diff must report exactly those changes, and nothing is deleted.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from amendment import EXPECTED_CHANGES, amend
from rdflib import OWL, SKOS, Graph, Literal
from rdflib.namespace import DCTERMS

from kg.release.build import DATA_DIR, build
from kg.release.diff import CS, compare, load_release
from kg.uris import Uris

U = Uris()
ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def releases(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """(old, new): the project's release and an amended one."""
    root = tmp_path_factory.mktemp("diff")
    old = root / "old" / "dist"
    old.parent.mkdir()
    build(old)
    data = root / "data"
    shutil.copytree(DATA_DIR, data)

    amend(data)
    new = root / "new" / "dist"
    new.parent.mkdir()
    build(new, data_dir=data)
    return old, new


def test_diff_reports_exactly_the_changes(releases: tuple[Path, Path]) -> None:
    old, new = releases
    diff = compare(load_release(old), load_release(new))
    summary = sorted((c.kind, c.notation) for c in diff.changes)
    assert summary == EXPECTED_CHANGES, diff.report()
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
